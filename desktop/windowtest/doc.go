// Package windowtest drives the real desktop app in a real window: the
// released binary under Xvfb, against a real tandemd --demo, through the
// keyboard (xdotool), watching what it does through the API and a private
// D-Bus session bus. Its test runs only with the build tag windowtest (it
// needs Xvfb, xdotool, ImageMagick, dbus-daemon and the built app); run it
// with make -C desktop test-window.
package windowtest
