package control

// Online reports whether the device has a live map session now.
func (s *Server) Online(deviceID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[deviceID]
	return ok
}
