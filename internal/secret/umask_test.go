//go:build unix

package secret

import "syscall"

func setUmask(m int) int { return syscall.Umask(m) }
