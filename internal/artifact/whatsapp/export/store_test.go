package export

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"vigil/internal/artifact"
	"vigil/internal/audit"
	"vigil/internal/store"
	"vigil/internal/store/sqlite"
)

// The parser-website example through a real case store, as the intake
// would hand it over: the zip's members are files of the device under
// the zip's path, _chat.txt is extracted, and LinkMedia links each
// attachment message to the exported file by its path.
func TestExampleZipThroughTheStore(t *testing.T) {
	name := filepath.Join(testdata(t), "whatsapp-chat-parser-website", "whatsapp-chat-parser-example.zip")
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()

	ctx := audit.WithActor(context.Background(), "tester")
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "case.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dev, err := s.PutDevice(ctx, store.Device{Label: "phone-1"})
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := s.StartSource(ctx, store.Source{DeviceID: dev.ID, Kind: "directory", Path: "/evidence/phone-1", Operator: "t", Tool: "t"})
	if err != nil {
		t.Fatal(err)
	}
	const dir = "Downloads/WhatsApp Chat - Example.zip"
	sums := map[string]string{} // member name → SHA-256
	var chat []byte
	var batch store.Batch
	batch.SourceID = src.ID
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		sum := hex.EncodeToString(h[:])
		sums[f.Name] = sum
		if f.Name == "_chat.txt" {
			chat = b
		}
		batch.Contents = append(batch.Contents, store.Content{SHA256: sum, Size: int64(len(b)), Kind: store.KindOther})
		batch.Files = append(batch.Files, store.File{Path: dir + "/" + f.Name, ParentPath: dir, SHA256: sum, Size: int64(len(b))})
	}
	if err := s.WriteBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}

	x := &Extractor{}
	path := dir + "/_chat.txt"
	a, done, err := s.BeginArtifact(ctx, store.Artifact{DeviceID: dev.ID, SourceID: src.ID, Path: path, SHA256: sums["_chat.txt"], Extractor: x.Name()})
	if err != nil || done {
		t.Fatalf("BeginArtifact: %v (done %v)", err, done)
	}
	local := filepath.Join(t.TempDir(), "_chat.txt")
	if err := os.WriteFile(local, chat, 0o400); err != nil {
		t.Fatal(err)
	}
	var warnings []string
	in := &artifact.Input{Device: dev, SourceID: src.ID, Artifact: a, Path: path, SHA256: sums["_chat.txt"], Local: local, Store: s,
		Warn: func(f string, args ...any) { warnings = append(warnings, fmt.Sprintf(f, args...)) }}
	if err := x.Extract(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishArtifact(ctx, a.ID, "complete", nil, warnings); err != nil {
		t.Fatal(err)
	}
	linked, err := s.LinkMedia(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if linked != 4 {
		t.Errorf("LinkMedia linked %d messages, want the 4 attachments", linked)
	}

	var msgs []store.MessageView
	if err := s.Messages(ctx, store.MessageQuery{Device: "phone-1"}, func(m store.MessageView) error { msgs = append(msgs, m); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 48 { // 52 header lines, 4 of them system lines (see TestConformanceParserWebsiteZip)
		t.Errorf("%d messages, want 48", len(msgs))
	}
	withFile := 0
	for _, m := range msgs {
		if m.MediaPath == "" {
			continue
		}
		member := filepath.Base(m.MediaPath)
		if m.MediaFileID == 0 || m.MediaSHA256 == nil || *m.MediaSHA256 != sums[member] {
			t.Errorf("attachment %s: file %d, sha256 %v, want %s", m.MediaPath, m.MediaFileID, m.MediaSHA256, sums[member])
			continue
		}
		withFile++
	}
	if withFile != 4 {
		t.Errorf("%d messages linked to their exported file, want 4", withFile)
	}

	var chats []store.ChatView
	s.Chats(ctx, store.ChatQuery{}, func(c store.ChatView) error { chats = append(chats, c); return nil })
	if len(chats) != 1 || chats[0].Kind != store.ChatGroup || chats[0].Subject != "WhatsApp Chat Parser Example" ||
		chats[0].Creator == nil || *chats[0].Creator != "name:phone-1:Loris" || chats[0].Members != 3 {
		t.Errorf("chats %+v", chats)
	}
	var events []store.EventView
	s.Events(ctx, store.EventQuery{}, func(e store.EventView) error { events = append(events, e); return nil })
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	sort.Strings(actions)
	if fmt.Sprint(actions) != "[added added created encryption]" {
		t.Errorf("events %v", actions)
	}
	var roles []string
	s.Members(ctx, store.MemberQuery{}, func(m store.MemberView) error { roles = append(roles, m.Account+"="+m.Role); return nil })
	if fmt.Sprint(roles) != "[name:phone-1:Emily=member name:phone-1:John=member name:phone-1:Loris=creator]" {
		t.Errorf("members %v", roles)
	}
}
