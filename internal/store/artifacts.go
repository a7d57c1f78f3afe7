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
	// LinkMedia links media messages to ingested files: by SHA-256 first,
	// else by path under the message's device. It returns how many
	// messages were linked.
	LinkMedia(ctx context.Context) (int64, error)
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
	Accounts []Account
	Chats    []Chat
	Members  []Member
	Messages []Message
	Events   []Event
	Links    []Link
}

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
