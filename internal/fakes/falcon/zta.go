package falcon

import (
	"net/http"
	"time"
)

type assessmentJSON struct {
	AID                string `json:"aid"`
	CID                string `json:"cid"`
	SystemSerialNumber string `json:"system_serial_number"`
	EventPlatform      string `json:"event_platform"`
	ProductTypeDesc    string `json:"product_type_desc"`
	ModifiedTime       string `json:"modified_time"`
	SensorFileStatus   string `json:"sensor_file_status"`
	Assessment         struct {
		SensorConfig int    `json:"sensor_config"`
		OS           int    `json:"os"`
		Overall      int    `json:"overall"`
		Version      string `json:"version"`
	} `json:"assessment"`
	AssessmentItems struct {
		OSSignals     []signalJSON `json:"os_signals"`
		SensorSignals []signalJSON `json:"sensor_signals"`
	} `json:"assessment_items"`
}

type signalJSON struct {
	SignalID      string `json:"signal_id"`
	SignalName    string `json:"signal_name"`
	GroupName     string `json:"group_name"`
	Criteria      string `json:"criteria"`
	MeetsCriteria string `json:"meets_criteria"`
}

// maxZTAIDs is the most AIDs the fake accepts in one ZTA request.
const maxZTAIDs = 100

// serveZTA answers GET /zero-trust-assessment/entities/assessments/v1
// with repeated ids parameters. Unknown and unassessed AIDs are silently
// left out, as the real API does; "errors" is null, as real responses
// of this endpoint have it.
func (s *Server) serveZTA(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["ids"]
	if len(ids) == 0 || len(ids) > maxZTAIDs {
		s.writeError(w, EndpointZTA, http.StatusBadRequest, "ids: must contain between 1 and 100 IDs")
		return
	}
	s.mu.Lock()
	f := s.core.Faults().ForBatch(EndpointZTA, batchKey(ids))
	out := make([]assessmentJSON, 0, len(ids))
	s.devices.Read(func(_ []string, get func(string) (Device, bool)) {
		for _, id := range ids {
			if d, ok := get(id); ok && !d.NoAssessment {
				out = append(out, s.assessment(d))
			}
		}
	})
	s.mu.Unlock()
	if s.applyFault(w, r, EndpointZTA, f) {
		return
	}
	s.writeJSON(w, http.StatusOK, struct {
		Meta      meta             `json:"meta"`
		Resources []assessmentJSON `json:"resources"`
		Errors    []apiError       `json:"errors"`
	}{newMeta("zta-api"), out, nil}, f != nil && f.Truncate)
}

func (s *Server) assessment(d Device) assessmentJSON {
	a := assessmentJSON{
		AID:                d.AID,
		CID:                s.cid,
		SystemSerialNumber: d.Serial,
		EventPlatform:      d.Platform,
		ProductTypeDesc:    "Workstation",
		ModifiedTime:       time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Format(time.RFC3339),
		SensorFileStatus:   "deployed",
	}
	if a.EventPlatform == "" {
		a.EventPlatform = "Mac"
	}
	a.Assessment.Overall = d.ZTAScore
	a.Assessment.OS = min(100, d.ZTAScore+5)
	a.Assessment.SensorConfig = max(0, d.ZTAScore-5)
	a.Assessment.Version = "3.6.1"
	meets := "yes"
	if d.ZTAScore < 50 {
		meets = "no"
	}
	a.AssessmentItems.OSSignals = []signalJSON{{SignalID: "firewall_enabled", SignalName: "Firewall", GroupName: "Firewall", Criteria: "Enabled", MeetsCriteria: meets}}
	a.AssessmentItems.SensorSignals = []signalJSON{}
	return a
}
