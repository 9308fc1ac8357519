package knowledge

import "context"

// IndexBuilds is the number of indexes the service has built, for tests.
func (s *Service) IndexBuilds() int64 { return s.indexes.builds.Load() }

// CachedIndexes is the number of workspace indexes held in memory.
func (s *Service) CachedIndexes() int {
	s.indexes.mu.Lock()
	defer s.indexes.mu.Unlock()
	return s.indexes.recent.Len()
}

// HoldParse takes a parse slot until the returned func is called.
func (s *Service) HoldParse() func() {
	s.parses <- struct{}{}
	return func() { <-s.parses }
}

// Find retrieves the k best chunks for a question alone.
func (s *Service) Find(ctx context.Context, workspaceID, text string, k int) ([]Hit, error) {
	res, err := s.Retrieve(ctx, workspaceID, Query{Text: text}, k)
	return res.Hits, err
}

// LimitSelf is limitSelf, for the worker tests' own workers.
var LimitSelf = limitSelf
