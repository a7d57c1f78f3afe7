package store

import (
	"context"
	"time"
)

// Analysis is the read side that whole-case analyses (package network,
// reports) need: every row of the tables they draw on, streamed by
// integer ids, without the joins and per-row summaries the CLI listings
// make. A case of a million messages is read in one pass of each method.
//
// The callback's argument is only valid until the callback returns: the
// implementation may reuse it.
type Analysis interface {
	// AnalysisCounts returns how many rows the main tables hold, for
	// sizing what an analysis allocates.
	AnalysisCounts(ctx context.Context) (AnalysisCounts, error)
	// AnalysisDevices calls fn for each device, ordered by id.
	AnalysisDevices(ctx context.Context, fn func(DeviceRow) error) error
	// AnalysisAccounts calls fn for each account, ordered by id.
	AnalysisAccounts(ctx context.Context, fn func(*AccountRow) error) error
	// AnalysisChats calls fn for each chat, ordered by id.
	AnalysisChats(ctx context.Context, fn func(*ChatRow) error) error
	// AnalysisMembers calls fn for each membership (one per chat, account
	// and device), in no particular order.
	AnalysisMembers(ctx context.Context, fn func(MemberRow) error) error
	// AnalysisMessages calls fn for each message, ordered by id.
	AnalysisMessages(ctx context.Context, fn func(*MessageRow) error) error
	// AnalysisHits calls fn for each hit of a content in a hash set, with
	// its set and entry (HitView without Devices and Paths, which stay
	// empty), ordered by content, set and entry.
	AnalysisHits(ctx context.Context, fn func(HitView) error) error
	// LatestDecisions calls fn with the newest analyst decision of each
	// content that has one, ordered by content.
	LatestDecisions(ctx context.Context, fn func(Decision) error) error
}

// AnalysisCounts are the sizes of the main tables.
type AnalysisCounts struct {
	Accounts, Chats, Members, Messages int64
}

// DeviceRow is a device as analysis reads it.
type DeviceRow struct {
	ID      int64
	Label   string
	Suspect string
	Country string
	// OwnerID is the account of the device's owner (a placeholder account
	// "owner:<label>" until a source names the owner), 0 when none.
	OwnerID int64
}

// AccountRow is an account as analysis reads it.
type AccountRow struct {
	ID      int64
	JID     string
	Phone   string // E.164, "" when unknown
	Country string // ISO 3166 alpha-2, "" when unknown
	LID     string // "" when none
	Names   []string
	// DeviceIDs are the devices that saw the account, OwnerOf those it
	// owns, both ascending.
	DeviceIDs []int64
	OwnerOf   []int64
}

// ChatRow is a chat as analysis reads it.
type ChatRow struct {
	ID          int64
	JID         string
	Kind        string
	Subject     string
	Created     time.Time // zero when unknown
	CreatorID   int64     // 0 when unknown
	Description string
	DeviceIDs   []int64 // the devices that saw the chat, ascending
}

// MemberRow is one account in one chat as one device saw it.
type MemberRow struct {
	ChatID    int64
	AccountID int64
	DeviceID  int64
	Role      string
	Current   bool
	FirstSeen time.Time
	LastSeen  time.Time
}

// MessageRow is one message as one source recorded it, with the file its
// media was linked to.
type MessageRow struct {
	ID          int64
	DeviceID    int64
	ArtifactID  int64
	RowRef      string
	ChatID      int64
	SenderID    int64     // 0 when unknown
	Time        time.Time // zero when unknown
	FromMe      bool
	Type        string
	KeyID       string
	Text        string
	Caption     string
	MediaSHA256 string // "" when none
	MediaPath   string
	MediaMIME   string
	// FileID is the ingested file the media was linked to (0 when none),
	// FileDeviceID and FilePath where that file was found.
	FileID       int64
	FileDeviceID int64
	FilePath     string
}
