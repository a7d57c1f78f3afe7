package store

import (
	"context"
	"time"
)

// Artifacts holds what artifact extractors found: accounts, chats, members,
// messages, group events and invite links (DESIGN §4). Extractors speak in
// JIDs; the store turns them into account and chat rows, merging the same
// account (by JID, by phone, by LID mapped to a phone) and the same chat
// (by JID) across devices.
type Artifacts interface {
	// BeginArtifact opens the record of one extraction of a file (a
	// database or an export) on a device. When the same file (device,
	// path, extractor, SHA-256) was extracted completely before, it is
	// returned with done true and the caller skips it; an interrupted one
	// is reopened and its partial rows are deleted, so a rerun neither
	// duplicates nor loses rows. Audited.
	BeginArtifact(ctx context.Context, a Artifact) (out Artifact, done bool, err error)
	// WriteArtifact stores a batch of one artifact's findings in one
	// transaction.
	WriteArtifact(ctx context.Context, artifactID int64, b ArtifactBatch) error
	// FinishArtifact closes the record with its status ("complete" or
	// "failed"), counts and warnings. Audited.
	FinishArtifact(ctx context.Context, artifactID int64, status string, counts map[string]int64, warnings []string) error
	// LinkMedia links media messages to ingested files: by SHA-256 first
	// (a file on the message's own device, else on any device), else by
	// path under the message's device (exact, then by the longest matching
	// tail: Android keeps paths relative to its WhatsApp folder). A message
	// linked by path that had no media hash gets the file's. It returns how
	// many messages were linked. Audited.
	LinkMedia(ctx context.Context) (int64, error)

	// ArtifactRecords lists extraction records, of one device when label
	// is set.
	ArtifactRecords(ctx context.Context, label string) ([]Artifact, error)
	// Chats calls fn for each chat matching q, ordered by JID.
	Chats(ctx context.Context, q ChatQuery, fn func(ChatView) error) error
	// Accounts calls fn for each account matching q, ordered by JID.
	Accounts(ctx context.Context, q AccountQuery, fn func(AccountView) error) error
	// Members calls fn for each membership matching q (one per chat,
	// account and device), ordered by chat, account and device.
	Members(ctx context.Context, q MemberQuery, fn func(MemberView) error) error
	// Messages calls fn for each message matching q, ordered by time.
	Messages(ctx context.Context, q MessageQuery, fn func(MessageView) error) error
	// Events calls fn for each group event matching q, ordered by time.
	Events(ctx context.Context, q EventQuery, fn func(EventView) error) error
	// Links calls fn for each invite link matching q, ordered by time.
	Links(ctx context.Context, q LinkQuery, fn func(LinkView) error) error
}

// Artifact is the record of one extraction.
type Artifact struct {
	ID         int64            `json:"id"`
	DeviceID   int64            `json:"device_id"`
	SourceID   int64            `json:"source_id,omitempty"`
	Path       string           `json:"path"`
	SHA256     string           `json:"sha256"`
	Extractor  string           `json:"extractor"`
	Generation string           `json:"generation,omitempty"`
	Status     string           `json:"status"`
	Counts     map[string]int64 `json:"counts,omitempty"`
	Warnings   []string         `json:"warnings,omitempty"`
	Started    time.Time        `json:"started"`
	Finished   time.Time        `json:"finished,omitzero"`
}

// ArtifactBatch is a slice of one artifact's findings. Rows refer to each
// other by JID; a JID mentioned but not described gets a bare account.
type ArtifactBatch struct {
	// Generation, when set, records the schema generation the extractor
	// recognised on the artifact record (e.g. "android-modern").
	Generation string
	Accounts   []Account
	Chats      []Chat
	Members    []Member
	Messages   []Message
	Events     []Event
	Links      []Link
}

// OwnerJID stands, in a batch, for the owner of the artifact's device when
// the source does not say who that is (a msgstore.db whose own messages
// carry no sender): the store resolves it to the device's owner account,
// or to a placeholder account ("owner:<device label>") that is merged
// into the owner's real account as soon as a source names it
// (Account.Owner with a JID).
const OwnerJID = "owner:"

// Account is an identity as one source describes it.
type Account struct {
	JID        string   // phone JID, LID JID, or "name:…" for export-only names
	Phone      string   // E.164, "" when unknown
	Country    string   // ISO 3166 alpha-2, "" when unknown
	LID        string   // the LID JID mapped to this phone JID, when the source says so
	Names      []string // display names, push names, address-book names seen
	NameBasis  string   // where the names come from (wa.db, push name, export…)
	Owner      bool     // the account of the device's owner
	OwnerBasis string
}

// Chat is a group or a one-to-one chat.
type Chat struct {
	JID          string
	Kind         string // group, direct, broadcast, status, newsletter
	Subject      string
	Created      time.Time
	CreatorJID   string
	CreatorBasis string // rank, group-id, event, wa.db
	Description  string
	Subjects     []SubjectChange
}

// SubjectChange is one subject a chat had.
type SubjectChange struct {
	Subject  string
	Time     time.Time
	ActorJID string
}

// Member roles.
const (
	RoleMember  = "member"
	RoleAdmin   = "admin"
	RoleCreator = "creator"
)

// Member is an account in a chat.
type Member struct {
	ChatJID    string
	AccountJID string
	Role       string
	RoleRaw    *int
	Current    bool // listed as a participant when the device was seized
	Pending    bool // invited or added, not joined yet
	FirstSeen  time.Time
	LastSeen   time.Time
}

// Message is one message as a source recorded it.
type Message struct {
	RowRef      string // where in the source: "message:1234", "line:88"
	ChatJID     string
	SenderJID   string // "" when unknown
	Time        time.Time
	FromMe      bool
	Type        string // decoded name; "unknown(n)" for codes not in the table
	TypeRaw     *int
	KeyID       string
	Text        string
	Caption     string
	MediaSHA256 string // lower-case hex
	MediaPath   string
	MediaMIME   string
	MediaSize   int64 // -1 when unknown
	MediaName   string
	Forwarded   bool
}

// Event is one group system event.
type Event struct {
	RowRef     string
	ChatJID    string
	Time       time.Time
	Action     string // created, added, removed, left, joined-by-link, link-reset, subject, admin-promoted, …
	ActionRaw  *int
	ActorJID   string
	TargetJIDs []string
	OldValue   string
	NewValue   string
}

// Link is an invite (or channel, or click-to-chat) link seen in a source.
type Link struct {
	Kind          string // group-invite, invite-card, channel, click-to-chat
	Code          string
	URL           string
	ChatJID       string // the chat it was seen in
	GroupJID      string // the group it invites to, when known
	MessageRowRef string // the message it was seen in
	Time          time.Time
	RowRef        string
}

// Chat kinds.
const (
	ChatGroup      = "group"
	ChatDirect     = "direct"
	ChatBroadcast  = "broadcast"
	ChatStatus     = "status"
	ChatNewsletter = "newsletter"
)

// Message types: the decoded names every extractor uses, whatever the
// platform's own code for them. A code no table knows decodes to
// "unknown(n)".
const (
	TypeText         = "text"
	TypeImage        = "image"
	TypeAudio        = "audio"
	TypeVoice        = "voice"
	TypeVideo        = "video"
	TypeContact      = "contact"
	TypeContacts     = "contacts"
	TypeLocation     = "location"
	TypeLiveLocation = "live-location"
	TypeSystem       = "system"
	TypeDocument     = "document"
	TypeMissedCall   = "missed-call"
	TypeCall         = "call"
	TypeWaiting      = "waiting"
	TypeGIF          = "gif"
	TypeDeleted      = "deleted"
	TypeAdminDeleted = "admin-deleted"
	TypeSticker      = "sticker"
	TypeInviteCard   = "invite-card"
	TypeViewOnce     = "view-once"
	TypePoll         = "poll"
	TypeVideoNote    = "video-note"
	TypeLinkPreview  = "link-preview"
)

// Group event actions: the decoded names every extractor uses.
const (
	ActionCreated          = "created"
	ActionAdded            = "added"
	ActionRemoved          = "removed"
	ActionLeft             = "left"
	ActionJoinedByLink     = "joined-by-link"
	ActionJoinedByCard     = "joined-by-invite-card"
	ActionJoinedCommunity  = "joined-from-community"
	ActionLinkReset        = "link-reset"
	ActionSubject          = "subject"
	ActionDescription      = "description"
	ActionIcon             = "icon"
	ActionAdminPromoted    = "admin-promoted"
	ActionAdminDemoted     = "admin-demoted"
	ActionNumberChanged    = "number-changed"
	ActionSettings         = "settings"
	ActionEncryption       = "encryption"
	ActionSecurityCode     = "security-code"
	ActionDisappearing     = "disappearing-timer"
	ActionBroadcastCreated = "broadcast-created"
)

// ChatQuery filters chats; zero fields match everything.
type ChatQuery struct {
	Device string // label of a device that saw the chat
	Kind   string
	JID    string
}

// ChatView is a chat as the CLI and the API show it.
type ChatView struct {
	JID     string     `json:"jid"`
	Kind    string     `json:"kind"`
	Subject string     `json:"subject"`
	Created *time.Time `json:"created"` // null when unknown
	Creator *string    `json:"creator"` // the creator's JID, null when unknown
	Members int        `json:"members"` // distinct accounts seen as members, current or past, on any device
	Devices []string   `json:"devices"` // labels of the devices that saw the chat

	// Not in the JSON output, whose fields the CLI fixes.
	ID           int64  `json:"-"`
	CreatorBasis string `json:"-"`
	Description  string `json:"-"`
}

// AccountQuery filters accounts; zero fields match everything.
type AccountQuery struct {
	Device  string // label of a device that saw the account
	Country string
	JID     string // a JID, or an E.164 phone number
}

// AccountView is an account as the CLI and the API show it.
type AccountView struct {
	JID     string   `json:"jid"`
	Phone   *string  `json:"phone"`   // E.164, null when unknown
	Country *string  `json:"country"` // ISO 3166 alpha-2, null when unknown
	Names   []string `json:"names"`
	Devices []string `json:"devices"`

	// Not in the JSON output.
	ID      int64    `json:"-"`
	LID     string   `json:"-"`
	OwnerOf []string `json:"-"` // labels of the devices this account owns
}

// MemberQuery filters memberships; zero fields match everything.
type MemberQuery struct {
	Chat    string // chat JID
	Account string // account JID
	Device  string
}

// MemberView is one account in one chat as one device saw it.
type MemberView struct {
	Chat      string    `json:"chat"`
	Account   string    `json:"account"`
	Device    string    `json:"device"`
	Role      string    `json:"role"`
	RoleRaw   *int      `json:"role_raw"`
	Current   bool      `json:"current"`
	Pending   bool      `json:"pending"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
}

// MessageQuery filters messages; zero fields match everything.
type MessageQuery struct {
	Device    string // device label
	Chat      string // chat JID
	Sender    string // sender's JID or E.164 phone
	WithMedia bool   // only messages with a media hash or path
	SHA256    string // only messages whose media has this SHA-256
	Limit     int
}

// MessageView is a message as the CLI and the API show it.
type MessageView struct {
	Device      string    `json:"device"`
	Chat        string    `json:"chat"`
	Sender      *string   `json:"sender"` // JID, null when unknown
	Time        time.Time `json:"time"`   // UTC
	FromMe      bool      `json:"from_me"`
	Type        string    `json:"type"`
	Text        string    `json:"text"`
	MediaSHA256 *string   `json:"media_sha256"` // null when none
	MediaPath   string    `json:"media_path"`
	MediaMIME   string    `json:"media_mime"`

	// Not in the JSON output.
	ID          int64  `json:"-"`
	RowRef      string `json:"-"`
	TypeRaw     *int   `json:"-"`
	KeyID       string `json:"-"`
	Caption     string `json:"-"`
	MediaSize   int64  `json:"-"` // -1 when unknown
	MediaName   string `json:"-"`
	MediaFileID int64  `json:"-"` // the linked file, 0 when none
	Forwarded   bool   `json:"-"`
}

// EventQuery filters group events; zero fields match everything.
type EventQuery struct {
	Device string
	Chat   string
	Action string
}

// EventView is a group event as the CLI and the API show it.
type EventView struct {
	Chat    string    `json:"chat"`
	Time    time.Time `json:"time"`
	Action  string    `json:"action"`
	Actor   *string   `json:"actor"` // JID, null when unknown
	Targets []string  `json:"targets"`

	// Not in the JSON output.
	Device    string `json:"-"`
	RowRef    string `json:"-"`
	ActionRaw *int   `json:"-"`
	OldValue  string `json:"-"`
	NewValue  string `json:"-"`
}

// LinkQuery filters invite links; zero fields match everything.
type LinkQuery struct {
	Device string
	Kind   string
	Code   string
}

// LinkView is an invite link and where it was seen.
type LinkView struct {
	Kind    string     `json:"kind"`
	Code    string     `json:"code"`
	URL     string     `json:"url"`
	Group   string     `json:"group"`  // the group it invites to, "" when unknown
	Chat    string     `json:"chat"`   // the chat it was seen in, "" when none
	Device  string     `json:"device"` // the device it was seen on
	Time    *time.Time `json:"time"`
	Message string     `json:"message"` // the message's row reference in its source

	RowRef string `json:"-"`
}
