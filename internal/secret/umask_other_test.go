//go:build !unix

package secret

func setUmask(int) int { return 0 }
