package store

import (
	"crypto/rand"
	"encoding/binary"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randBase62 returns n uniformly random base62 characters.
func randBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		rand.Read(buf) // never fails; it crashes the program instead
		for _, c := range buf {
			// 248 = 4*62: reject the top bytes to stay uniform.
			if c < 248 && len(out) < n {
				out = append(out, base62[c%62])
			}
		}
	}
	return string(out)
}

// randInt53 returns a random integer in [1, 2^53), exact in a float64 so
// JSON clients that parse numbers as doubles keep it.
func randInt53() int64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		n := int64(binary.BigEndian.Uint64(b[:]) >> 11)
		if n != 0 {
			return n
		}
	}
}

func newTailnetID() string     { return "T" + randBase62(10) }
func newUserID() string        { return "u" + randBase62(12) }
func newNodeID() string        { return "n" + randBase62(12) + "CNTRL" }
func newIntegrationID() string { return "pc" + randBase62(14) }
func newKeyID() string         { return "k" + randBase62(11) + "CNTRL" }
