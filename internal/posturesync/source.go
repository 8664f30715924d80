package posturesync

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/providers"
)

// DefaultSource builds the vendor client for in's provider.
func DefaultSource(in postern.Integration, cfg integrations.Config) (integrations.Source, error) {
	p, err := providers.Lookup(in.Provider)
	if err != nil {
		return nil, err
	}
	return p.New(cfg)
}
