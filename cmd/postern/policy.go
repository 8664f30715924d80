package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/postern/postern/internal/policy"
	"github.com/postern/postern/internal/providers"
)

// policyCmd runs the offline policy tools; they need no server or store.
func policyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: postern policy check|test|filters FILE (see 'postern -h')")
	}
	sub, args := args[0], args[1:]
	synopsis := "policy " + sub + " FILE [--topology TOPOLOGY.json] [--namespace NAME]..."
	topoHelp := "optional: run the tests against this topology instead of one invented from the policy"
	if sub == "filters" {
		synopsis = "policy filters FILE --topology TOPOLOGY.json [--namespace NAME]..."
		topoHelp = "required: the users and nodes to compile the filters for"
	}
	fs := newFlagSet("policy "+sub, synopsis, stderr)
	topo := fs.String("topology", "", topoHelp+" (JSON, format in docs/policy-cli.md)")
	var open []string
	fs.Func("namespace", "repeatable: an attribute namespace an integration declares (its tenantId), taken as open (any name, any type)", func(s string) error {
		open = append(open, s)
		return nil
	})
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	cat, err := providers.CatalogWithOpen(open...)
	if err != nil {
		return fmt.Errorf("--namespace: %w", err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("policy %s takes one FILE, got %d arguments", sub, len(pos))
	}
	file := pos[0]
	var topology io.Reader
	if *topo != "" {
		f, err := os.Open(*topo)
		if err != nil {
			return fmt.Errorf("reading topology: %w", err)
		}
		defer f.Close()
		topology = f
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading policy: %w", err)
	}
	switch sub {
	case "check":
		if err := policy.CheckFile(file, text, cat); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: ok\n", file)
	case "test":
		if err := policy.TestFile(file, text, cat, topology); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: ok, tests pass\n", file)
	case "filters":
		if topology == nil {
			return fmt.Errorf("policy filters needs --topology TOPOLOGY.json")
		}
		p, err := policy.Parse(text, cat)
		if err != nil {
			return fmt.Errorf("%s:%w", file, err)
		}
		users, nodes, err := policy.LoadTopology(topology)
		if err != nil {
			return err
		}
		out, err := policy.FiltersJSON(p, users, nodes)
		if err != nil {
			return err
		}
		stdout.Write(append(out, '\n'))
	default:
		return fmt.Errorf("unknown policy command %q (want check, test or filters)", sub)
	}
	return nil
}
