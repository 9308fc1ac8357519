package contact

import "hash/fnv"

// Words of the generated names: 32 each, so 1,024 names, distinguishable at
// a glance and never rude. Changing either list renames every anonymous
// visitor, so only ever append.
var (
	nameColors = [...]string{"Amber", "Azure", "Blue", "Bronze", "Coral", "Crimson", "Cyan", "Golden", //nolint:gochecknoglobals // read-only table
		"Green", "Grey", "Indigo", "Ivory", "Jade", "Lilac", "Lime", "Magenta",
		"Maroon", "Mint", "Navy", "Ochre", "Olive", "Orange", "Peach", "Pink",
		"Plum", "Purple", "Red", "Rose", "Ruby", "Silver", "Teal", "Violet"}
	nameAnimals = [...]string{"Badger", "Bear", "Beaver", "Crane", "Deer", "Dolphin", "Eagle", "Falcon", //nolint:gochecknoglobals // read-only table
		"Finch", "Fox", "Gecko", "Hare", "Hedgehog", "Heron", "Koala", "Lark",
		"Lynx", "Marten", "Moose", "Otter", "Owl", "Panda", "Puffin", "Quail",
		"Raven", "Robin", "Seal", "Sparrow", "Stork", "Swan", "Tiger", "Wolf"}
)

// GeneratedName is the stable name of an anonymous contact, derived from
// its id alone ("Teal Otter"), so every client shows the same one.
func GeneratedName(id string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	n := h.Sum32()
	return nameColors[n%uint32(len(nameColors))] + " " + nameAnimals[(n/uint32(len(nameColors)))%uint32(len(nameAnimals))]
}
