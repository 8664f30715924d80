package posture

import "strings"

// closest returns the entry of names nearest to s, ignoring case, if it
// is near enough to be a likely typo (fleet:presnt for fleet:present),
// or "".
func closest(s string, names []string) string {
	ls := strings.ToLower(s)
	best, bestDist := "", -1
	for _, n := range names {
		d := distance(ls, strings.ToLower(n))
		if bestDist < 0 || d < bestDist {
			best, bestDist = n, d
		}
	}
	// One edit in four characters at most, and never more than three: a
	// longer way off is another word, not a typo.
	if bestDist < 0 || bestDist > min(3, max(1, len(s)/4)) {
		return ""
	}
	return best
}

// distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
