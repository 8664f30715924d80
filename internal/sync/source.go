package sync

import (
	"github.com/postern/postern"
	"github.com/postern/postern/internal/integrations"
	"github.com/postern/postern/internal/integrations/falcon"
	"github.com/postern/postern/internal/integrations/fleet"
	"github.com/postern/postern/internal/integrations/kandji"
	"github.com/postern/postern/internal/integrations/sentinelone"
)

// DefaultSource builds the vendor client for in's provider.
func DefaultSource(in postern.Integration, cfg integrations.Config) (integrations.Source, error) {
	switch in.Provider {
	case postern.ProviderFleet:
		return fleet.New(cfg)
	case postern.ProviderKandji:
		return kandji.New(cfg)
	case postern.ProviderSentinelOne:
		return sentinelone.New(cfg)
	case postern.ProviderFalcon:
		return falcon.New(cfg)
	}
	return nil, postern.Errorf(postern.EINVALID, "unknown posture integration provider %q", in.Provider)
}
