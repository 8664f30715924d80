package main

import (
	"context"
	"fmt"
	"io"
)

// policyCmd runs the offline policy tools; they need no server or store.
func policyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: postern policy check|test|filters FILE")
	}
	return fmt.Errorf("policy %s: not wired yet", args[0])
}
