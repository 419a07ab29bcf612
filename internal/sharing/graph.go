package sharing

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-project/rampart/internal/platform/access"
)

// The relationship graph of the object page is drawn on the server as
// SVG: no script, no library, and the same picture in every browser. The
// object sits in the centre and its neighbours on a circle around it.
// Up to eight neighbours get horizontal labels; beyond that the labels
// run along the spokes, which keeps forty of them apart. The table under
// the graph lists every relationship, for screen readers and for the
// neighbours the graph leaves out.

// maxGraphNeighbours is how many neighbours the graph draws.
const maxGraphNeighbours = 40

// neighbour is an object at the other end of one or more relationships
// of the centre.
type neighbour struct {
	ID, Type, Name string
	TLP            access.TLP
	Visible        bool     // the viewer may open it
	RelTypes       []string // relationship types, in the order met
	Out, In        bool     // the centre is the source of one of them / the target
}

// num prints a coordinate with one decimal, so the SVG stays short.
type num float64

func (n num) String() string { return strconv.FormatFloat(float64(n), 'f', 1, 64) }

type graphView struct {
	Width, Height int
	Radial        bool // labels along the spokes
	CX, CY        num
	CenterLabel   string
	CenterTitle   string
	LabelY        num
	Nodes         []graphNode
	Shown, Total  int
}

type graphNode struct {
	Href, Title, Class string
	X, Y               num
	Label              string
	LX, LY             num
	Anchor             string
	Rotate             num
	Edge               graphEdge
}

type graphEdge struct {
	X1, Y1, X2, Y2 num
	Label          string
	LX, LY         num
	Rotate         num
	Anchor         string
	Start, End     bool // arrowheads: at the centre (it is the target), at the neighbour (it is the source)
}

const (
	centreRadius = 24.0
	nodeRadius   = 9.0
)

// layoutGraph places the centre and its neighbours. Neighbours are sorted
// by type and name, so the picture does not change between visits.
func layoutGraph(centreName, centreType string, ns []neighbour) *graphView {
	if len(ns) == 0 {
		return nil
	}
	ns = slices.Clone(ns)
	slices.SortStableFunc(ns, func(a, b neighbour) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	g := &graphView{Total: len(ns), CenterLabel: truncate(centreName, 40), CenterTitle: centreType + ": " + centreName}
	n := min(len(ns), maxGraphNeighbours)
	g.Shown = n
	radial := n > 8
	g.Radial = radial
	radius := 170.0
	if radial {
		radius = 300
		g.Width, g.Height = 2*(300+190), 2*(300+190)
	} else {
		g.Width, g.Height = 760, 520
	}
	cx, cy := float64(g.Width)/2, float64(g.Height)/2
	g.CX, g.CY, g.LabelY = num(cx), num(cy), num(cy+centreRadius+18)
	start, step := -90.0, 360.0/float64(n)
	if n <= 2 {
		// One or two neighbours sit left and right, where a horizontal
		// label has room.
		start, step = 0, 180
	}
	for i, nb := range ns[:n] {
		deg := start + step*float64(i)
		rad := deg * math.Pi / 180
		cos, sin := math.Cos(rad), math.Sin(rad)
		x, y := cx+radius*cos, cy+radius*sin
		node := graphNode{X: num(x), Y: num(y), Class: nodeClass(nb), Title: nodeTitle(nb)}
		if nb.Visible {
			node.Href = "/sharing/objects/" + nb.ID
		}
		e := graphEdge{
			X1: num(cx + centreRadius*cos), Y1: num(cy + centreRadius*sin),
			X2: num(x - (nodeRadius+3)*cos), Y2: num(y - (nodeRadius+3)*sin),
			Label: truncate(strings.Join(nb.RelTypes, ", "), 26), Start: nb.In, End: nb.Out, Anchor: "middle",
		}
		if radial {
			node.Label = truncate(nb.Name, 24)
			rot, flipped := readable(deg)
			node.Rotate, node.Anchor = num(rot), "start"
			node.LX, node.LY = num(cx+(radius+nodeRadius+6)*cos), num(cy+(radius+nodeRadius+6)*sin)
			if flipped {
				node.Anchor = "end"
			}
			mid := radius * 0.6
			e.LX, e.LY, e.Rotate = num(cx+mid*cos), num(cy+mid*sin), num(rot)
		} else {
			node.Label = truncate(nb.Name, 30)
			switch {
			case cos > 0.35:
				node.Anchor, node.LX, node.LY = "start", num(x+nodeRadius+6), num(y+4)
			case cos < -0.35:
				node.Anchor, node.LX, node.LY = "end", num(x-nodeRadius-6), num(y+4)
			case sin > 0:
				node.Anchor, node.LX, node.LY = "middle", num(x), num(y+nodeRadius+16)
			default:
				node.Anchor, node.LX, node.LY = "middle", num(x), num(y-nodeRadius-8)
			}
			e.LX, e.LY = num(cx+radius*0.5*cos), num(cy+radius*0.5*sin-4)
		}
		node.Edge = e
		g.Nodes = append(g.Nodes, node)
	}
	return g
}

// readable returns the rotation that lays text along a spoke at deg
// without turning it upside down, and whether it had to be flipped (the
// text then ends at the anchor instead of starting there).
func readable(deg float64) (float64, bool) {
	d := math.Mod(deg+360, 360)
	if d > 90 && d < 270 {
		return d - 180, true
	}
	return d, false
}

func nodeTitle(nb neighbour) string {
	if !nb.Visible {
		return nb.Type + " " + nb.ID + " (not shared with you)"
	}
	return nb.Type + ": " + nb.Name + " (TLP:" + string(nb.TLP) + ")"
}

// nodeClass groups types into a few colours; the type itself is in the
// node's title and in the table.
func nodeClass(nb neighbour) string {
	if !nb.Visible {
		return "node node-hidden"
	}
	switch nb.Type {
	case "indicator", "sighting", "observed-data":
		return "node node-indicator"
	case "malware", "threat-actor", "intrusion-set", "campaign", "tool", "attack-pattern", "infrastructure":
		return "node node-threat"
	case "course-of-action":
		return "node node-response"
	case "incident", "vulnerability":
		return "node node-risk"
	}
	return "node"
}

// truncate shortens s to n characters with an ellipsis; the full text is
// in the node's title.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
