package webapp

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
)

// accent is the app's accent color (--accent in the stylesheet).
var accent = color.RGBA{R: 0x2f, G: 0x5b, B: 0xea, A: 0xff} //nolint:gochecknoglobals // a constant color

// icon draws the app's icon at size×size: two white rings side by side, in
// tandem, on the accent color. The rings stay inside the middle 60 %, the
// safe zone of a maskable icon, so one image serves both purposes.
func icon(size int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	r := 0.17 * s  // the rings' outer radius
	w := 0.045 * s // their thickness
	cy := 0.5 * s  // both on the middle line
	cx1, cx2 := 0.385*s, 0.615*s
	for y := range size {
		for x := range size {
			px, py := float64(x)+0.5, float64(y)+0.5
			c := accent
			if ring(px, py, cx1, cy, r, w) || ring(px, py, cx2, cy, r, w) {
				c = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding to memory does not fail
	return buf.Bytes()
}

func ring(px, py, cx, cy, r, w float64) bool {
	d := (px-cx)*(px-cx) + (py-cy)*(py-cy)
	return d <= r*r && d >= (r-w)*(r-w)
}
