package sqlite

import (
	"context"
	"errors"

	"vigil/internal/store"
)

var errArtifactsTODO = errors.New("artifact store not implemented yet")

// BeginArtifact opens an extraction record.
func (s *Store) BeginArtifact(ctx context.Context, a store.Artifact) (store.Artifact, bool, error) {
	return a, false, errArtifactsTODO
}

// WriteArtifact stores a batch of findings.
func (s *Store) WriteArtifact(ctx context.Context, id int64, b store.ArtifactBatch) error {
	return errArtifactsTODO
}

// FinishArtifact closes an extraction record.
func (s *Store) FinishArtifact(ctx context.Context, id int64, status string, counts map[string]int64, warnings []string) error {
	return errArtifactsTODO
}

// LinkMedia links media messages to ingested files.
func (s *Store) LinkMedia(ctx context.Context) (int64, error) { return 0, errArtifactsTODO }
