package routing

import (
	"slices"
	"testing"
)

// TestEligible: an agent can take a chat under their capacity and the
// group's cap, in its group, with every skill it needs; never the agent
// whose reply timeout just sent it back, even when nobody else can.
func TestEligible(t *testing.T) {
	t.Parallel()
	pool := map[string]*candidate{
		"ann":  {userID: "ann", open: 1, max: 3, skills: map[string]bool{"de": true}},
		"bob":  {userID: "bob", open: 3, max: 3, skills: map[string]bool{"de": true}},
		"cara": {userID: "cara", open: 0, max: 3, skills: map[string]bool{}},
	}
	vip := &group{members: map[string]bool{"ann": true, "bob": true}, max: 1}
	for _, tc := range []struct {
		name   string
		g      *group
		needs  []string
		lapsed string
		want   []string
	}{
		{"anyone under capacity", nil, nil, "", []string{"ann", "cara"}},
		{"not who just let it lapse", nil, nil, "ann", []string{"cara"}},
		{"not even when alone", nil, []string{"de"}, "ann", nil},
		{"with the skills", nil, []string{"de"}, "", []string{"ann"}},
		{"in the group, under its cap", vip, nil, "", nil},
		{"in the group", &group{members: vip.members}, nil, "", []string{"ann"}},
	} {
		var got []string
		for _, c := range eligible(pool, tc.g, tc.needs, tc.lapsed) {
			got = append(got, c.userID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
