package web

import (
	"fmt"
	"strings"
	"testing"
)

func render(d lineDiff) string {
	var b strings.Builder
	for _, l := range d.Lines {
		b.WriteString(string(l.Op) + l.Text + "\n")
	}
	return b.String()
}

func TestDiffText(t *testing.T) {
	big := strings.Repeat("x\n", maxDiffLines+1)
	for _, tc := range []struct {
		name, old, new, want string
		tooLarge             bool
	}{
		{name: "identical", old: "a\nb\n", new: "a\nb\n", want: ""},
		{name: "both empty", old: "", new: "", want: ""},
		{name: "from empty", old: "", new: "a\nb", want: "+a\n+b\n"},
		{name: "to empty", old: "a\nb\n", new: "", want: "-a\n-b\n"},
		{name: "insertion", old: "a\nc", new: "a\nb\nc", want: " a\n+b\n c\n"},
		{name: "deletion", old: "a\nb\nc", new: "a\nc", want: " a\n-b\n c\n"},
		{name: "replacement", old: "a\nb\nc", new: "a\nB\nc", want: " a\n-b\n+B\n c\n"},
		{name: "interleaved", old: "a\nb\nc\nd", new: "b\nx\nd\ny", want: "-a\n b\n-c\n+x\n d\n+y\n"},
		{name: "context trimmed", old: "1\n2\n3\n4\n5\n6\n7\n8\n9", new: "1\n2\n3\n4\n5\n6\n7\n8\nX",
			want: "~5 unchanged lines\n 6\n 7\n 8\n-9\n+X\n"},
		{name: "one line skipped", old: "1\n2\n3\n4\n5", new: "1\n2\n3\n4\nX",
			want: "~1 unchanged line\n 2\n 3\n 4\n-5\n+X\n"},
		{name: "too large old", old: big, new: "a", tooLarge: true},
		{name: "too large new", old: "a", new: big, tooLarge: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := diffText(tc.old, tc.new)
			if d.TooLarge != tc.tooLarge {
				t.Fatalf("TooLarge: got %v, want %v", d.TooLarge, tc.tooLarge)
			}
			if got := render(d); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestDiffTextTooLargeSizes(t *testing.T) {
	d := diffText(strings.Repeat("a\n", maxDiffLines+1), "b\nc\n")
	if !d.TooLarge || d.OldLines != maxDiffLines+1 || d.NewLines != 2 || d.Lines != nil {
		t.Errorf("got %+v, want too large with sizes %d and 2 and no lines", d, maxDiffLines+1)
	}
}

func TestDiffTextMiddleTooLarge(t *testing.T) {
	// Two texts of distinct lines under maxDiffLines each whose LCS table
	// would still exceed maxDiffCells.
	var a, b strings.Builder
	for i := range maxDiffLines {
		a.WriteString("a" + strings.Repeat("x", i%7) + "\n")
		b.WriteString("b" + strings.Repeat("y", i%7) + "\n")
	}
	if d := diffText(a.String(), b.String()); !d.TooLarge {
		t.Errorf("5000 x 5000 changed lines: got a diff, want too large")
	}
}

// BenchmarkDiffTextLargest diffs two texts whose changed middles fill
// the LCS table's bound, the most one audit log row can cost.
func BenchmarkDiffTextLargest(b *testing.B) {
	var old, new strings.Builder
	for i := range 2048 {
		fmt.Fprintf(&old, "line %d\n", i)
		fmt.Fprintf(&new, "line %d\n", i*3)
	}
	b.ReportAllocs()
	for b.Loop() {
		if d := diffText(old.String(), new.String()); d.TooLarge {
			b.Fatal("too large")
		}
	}
}
