package control

// Online reports whether the device has a live map session now.
func (s *Server) Online(deviceID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[deviceID]
	return ok
}

// Connected is how many devices have a live map session now.
func (s *Server) Connected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}
