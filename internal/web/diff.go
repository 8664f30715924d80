package web

import (
	"strconv"
	"strings"
)

// maxDiffLines bounds each side of a line diff: a longer text is shown
// as "too large to diff" rather than costing the server its memory.
const maxDiffLines = 5000

// maxDiffCells bounds the LCS table (lines left after trimming the
// common start and end, one side times the other).
const maxDiffCells = 4 << 20

// diffContext is how many unchanged lines are kept around each change.
const diffContext = 3

// diffLine is one line of a line diff. Op is '+' (only in the new
// text), '-' (only in the old), ' ' (in both) or '~' (Text says how
// many unchanged lines were left out).
type diffLine struct {
	Op   byte
	Text string
}

// Class is the CSS class the console styles the line with.
func (l diffLine) Class() string {
	switch l.Op {
	case '+':
		return "add"
	case '-':
		return "del"
	case '~':
		return "skip"
	}
	return "same"
}

// Sign is the line's prefix as shown.
func (l diffLine) Sign() string {
	if l.Op == '~' {
		return ""
	}
	return string(l.Op)
}

// lineDiff is the result of diffing two texts.
type lineDiff struct {
	Lines    []diffLine
	TooLarge bool // Lines is empty; OldLines and NewLines say why
	OldLines int
	NewLines int
}

// splitLines splits s into lines without their newlines; "" has none.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// diffText diffs old against new line by line with a longest common
// subsequence, keeping diffContext unchanged lines around each change.
func diffText(old, new string) lineDiff {
	a, b := splitLines(old), splitLines(new)
	d := lineDiff{OldLines: len(a), NewLines: len(b)}
	if len(a) > maxDiffLines || len(b) > maxDiffLines {
		d.TooLarge = true
		return d
	}
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma) == 0 && len(mb) == 0 {
		return d // identical: no lines to show
	}
	if len(ma)*len(mb) > maxDiffCells {
		d.TooLarge = true
		return d
	}
	var all []diffLine
	for _, l := range a[:pre] {
		all = append(all, diffLine{' ', l})
	}
	all = append(all, lcsDiff(ma, mb)...)
	for _, l := range a[len(a)-suf:] {
		all = append(all, diffLine{' ', l})
	}
	d.Lines = trimContext(all)
	return d
}

// lcsDiff returns the edit script turning a into b, deletions before
// insertions within each changed run.
func lcsDiff(a, b []string) []diffLine {
	n, m := len(a), len(b)
	// lcs[i*(m+1)+j] is the LCS length of a[i:] and b[j:]; both sides
	// are at most maxDiffLines, so uint16 holds it.
	lcs := make([]uint16, (n+1)*(m+1))
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case a[i] == b[j]:
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
			case lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]:
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j]
			default:
				lcs[i*(m+1)+j] = lcs[i*(m+1)+j+1]
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, diffLine{' ', a[i]})
			i++
			j++
		case i < n && (j == m || lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]):
			out = append(out, diffLine{'-', a[i]})
			i++
		default:
			out = append(out, diffLine{'+', b[j]})
			j++
		}
	}
	return out
}

// trimContext replaces each run of unchanged lines further than
// diffContext from any change with one '~' line counting them.
func trimContext(all []diffLine) []diffLine {
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Op == ' ' {
			continue
		}
		for k := max(0, i-diffContext); k <= min(len(all)-1, i+diffContext); k++ {
			keep[k] = true
		}
	}
	var out []diffLine
	for i := 0; i < len(all); {
		if keep[i] {
			out = append(out, all[i])
			i++
			continue
		}
		j := i
		for j < len(all) && !keep[j] {
			j++
		}
		out = append(out, diffLine{'~', skipped(j - i)})
		i = j
	}
	return out
}

func skipped(n int) string {
	if n == 1 {
		return "1 unchanged line"
	}
	return strconv.Itoa(n) + " unchanged lines"
}
