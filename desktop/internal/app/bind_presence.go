package app

import (
	"encoding/json"
	"net/url"

	tandemv1 "github.com/tandem-inbox/tandem/api/tandem/v1"
	"github.com/tandem-inbox/tandem/desktop/internal/apiclient"
	"github.com/tandem-inbox/tandem/desktop/internal/notify"
)

// Agents lists the workspace's members with status, capacity and open
// chats (protobuf JSON AgentStatus).
func (a *App) Agents() ([]json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Presence.ListAgents(a.c.ctx(), &tandemv1.ListAgentsRequest{WorkspaceId: ws.id})
	if err != nil {
		return nil, err
	}
	return wires(res.GetAgents()), nil
}

// SetStatus sets the agent's presence: "online", "away" or "offline".
func (a *App) SetStatus(status string) (json.RawMessage, error) {
	var st tandemv1.PresenceStatus
	switch status {
	case "online":
		st = tandemv1.PresenceStatus_PRESENCE_STATUS_ONLINE
	case "away":
		st = tandemv1.PresenceStatus_PRESENCE_STATUS_AWAY
	case "offline":
		st = tandemv1.PresenceStatus_PRESENCE_STATUS_OFFLINE
	default:
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Choose online, away or offline.")
	}
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Presence.SetPresence(a.c.ctx(), &tandemv1.SetPresenceRequest{WorkspaceId: ws.id, Status: st})
	if err != nil {
		return nil, err
	}
	return wire(res.GetAgent()), nil
}

// SetCapacity sets how many chats the agent takes at once (1 to 50),
// keeping their skills.
func (a *App) SetCapacity(maxChats int32) (json.RawMessage, error) {
	if maxChats < 1 || maxChats > 50 {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Capacity must be between 1 and 50 chats.")
	}
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	list, err := sess.client.Presence.ListAgents(a.c.ctx(), &tandemv1.ListAgentsRequest{WorkspaceId: ws.id})
	if err != nil {
		return nil, err
	}
	var skills []string
	for _, ag := range list.GetAgents() {
		if ag.GetUserId() == sess.id.UserID {
			skills = ag.GetSkills()
		}
	}
	res, err := sess.client.Presence.SetAgentSettings(a.c.ctx(), &tandemv1.SetAgentSettingsRequest{WorkspaceId: ws.id, MaxChats: maxChats, Skills: skills})
	if err != nil {
		return nil, err
	}
	return wire(res.GetAgent()), nil
}

// NotificationPrefs says which kinds of notification are on in this
// workspace (the server's preferences, by kind: "handoff", "mention"...).
func (a *App) NotificationPrefs() (map[string]bool, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Notifications.GetNotificationPreferences(a.c.ctx(), &tandemv1.GetNotificationPreferencesRequest{WorkspaceId: ws.id})
	if err != nil {
		return nil, err
	}
	return prefsMap(res.GetPreferences()), nil
}

// SetNotificationPref switches a kind of notification on or off.
func (a *App) SetNotificationPref(kind string, on bool) (map[string]bool, error) {
	typ := notify.TypeOf(notify.Kind(kind))
	if typ == tandemv1.NotificationType_NOTIFICATION_TYPE_UNSPECIFIED {
		return nil, apiclient.Errorf(apiclient.KindInvalid, "Unknown kind of notification.")
	}
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Notifications.UpdateNotificationPreferences(a.c.ctx(), &tandemv1.UpdateNotificationPreferencesRequest{
		WorkspaceId: ws.id, Preferences: []*tandemv1.NotificationPreference{{Type: typ, Enabled: on}}})
	if err != nil {
		return nil, err
	}
	return prefsMap(res.GetPreferences()), nil
}

// PushView says whether this device gets push notifications while the
// app is closed (Web Push, in the web app). The desktop app shows its
// notifications itself while it runs, so it has none to switch: the
// views leave the switch out when Supported is false.
type PushView struct {
	Supported bool   `json:"supported"`
	On        bool   `json:"on"`
	Blocked   bool   `json:"blocked"`
	Note      string `json:"note"`
}

// desktopPush is the desktop app's answer: notifications come from the
// running app, under the preferences above.
var desktopPush = PushView{Note: "This app shows notifications itself while it runs."} //nolint:gochecknoglobals // a constant value

// PushState says whether this device gets push notifications while the app is closed.
func (a *App) PushState() (PushView, error) { return desktopPush, nil }

// SetPush switches push notifications on this device; the desktop app has none.
func (a *App) SetPush(bool) (PushView, error) {
	return desktopPush, apiclient.Errorf(apiclient.KindInvalid, desktopPush.Note)
}

func prefsMap(ps []*tandemv1.NotificationPreference) map[string]bool {
	out := map[string]bool{}
	for _, p := range ps {
		out[string(notify.KindOf(p.GetType()))] = p.GetEnabled()
	}
	return out
}

// Overview returns the workspace's overview strip (protobuf JSON
// GetOverviewResponse): average first response, active and waiting
// conversations, CSAT, resolved today, agents online.
func (a *App) Overview() (json.RawMessage, error) {
	sess, ws, err := a.c.current()
	if err != nil {
		return nil, err
	}
	res, err := sess.client.Stats.GetOverview(a.c.ctx(), &tandemv1.GetOverviewRequest{WorkspaceId: ws.id})
	if err != nil {
		return nil, err
	}
	return wire(res), nil
}

// OpenLink opens an http(s) link in the system browser. The frontend asks
// the agent first; anything else (javascript:, file:, data:...) is refused.
func (a *App) OpenLink(link string) error {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apiclient.Errorf(apiclient.KindInvalid, "Only web links (http or https) can be opened.")
	}
	return a.c.shell.OpenURL(u.String())
}
