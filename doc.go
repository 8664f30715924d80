// Package postern holds Postern's domain: the tailnet, its users, devices,
// posture attributes, posture integrations, keys, policy file and audit
// events, and the error kinds every layer shares.
//
// It has no logic beyond small invariants and imports nothing of the
// project, so every other package can depend on it. Storage lives in
// internal/store, decisions in internal/policy and internal/posture.
package postern
