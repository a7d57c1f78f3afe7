package store

import (
	"context"
	"time"
)

// Evidence holds what was seized: devices, their acquired sources, the
// files found in them and the distinct contents those files hold.
type Evidence interface {
	// PutDevice creates the device named by d.Label, or updates the fields
	// of d that are set (audited either way). It returns the stored device.
	PutDevice(ctx context.Context, d Device) (Device, error)
	// Device returns the device with the given label.
	Device(ctx context.Context, label string) (Device, error)
	// Devices lists every device with its counts.
	Devices(ctx context.Context) ([]DeviceSummary, error)

	// StartSource opens the acquisition record of a source: a new one, or
	// the existing record for the same device and path, which is then
	// resumed (resumed is true). Audited.
	StartSource(ctx context.Context, s Source) (src Source, resumed bool, err error)
	// FinishSource closes an acquisition record with its final status
	// ("complete", "interrupted" or "failed") and summary. Audited.
	FinishSource(ctx context.Context, id int64, status string, summary map[string]any) error
	// Sources lists acquisition records, of one device when label is set.
	Sources(ctx context.Context, label string) ([]Source, error)
	// Source returns one acquisition record.
	Source(ctx context.Context, id int64) (Source, error)
	// RecordedPaths calls fn for every file already recorded from a source
	// (used to resume an interrupted ingest).
	RecordedPaths(ctx context.Context, sourceID int64, fn func(path string, kind string) error) error

	// WriteBatch stores a batch of intake results in one transaction with
	// its audit record: new contents are added (existing ones completed
	// where they lacked file data), files already recorded are left alone.
	WriteBatch(ctx context.Context, b Batch) error
	// SetContentAnalysis stores results computed after intake (PDQ, EXIF)
	// for contents that lack them.
	SetContentAnalysis(ctx context.Context, cs []Content) error

	// Files calls fn for every file matching q, ordered by device and path.
	Files(ctx context.Context, q FileQuery, fn func(FileView) error) error
	// Content returns one content by SHA-256.
	Content(ctx context.Context, sha256 string) (Content, error)
	// Contents calls fn for every content matching q.
	Contents(ctx context.Context, q ContentQuery, fn func(Content) error) error
	// RecordVerification stores the outcome of re-reading a source (audited).
	RecordVerification(ctx context.Context, sourceID int64, status string, details map[string]any) error
}

// Device is one seized item.
type Device struct {
	ID       int64     `json:"id"`
	Label    string    `json:"label"`
	Suspect  string    `json:"suspect,omitempty"`
	Country  string    `json:"country,omitempty"` // ISO 3166 alpha-2 where seized
	Place    string    `json:"place,omitempty"`
	SeizedAt time.Time `json:"seized_at,omitzero"`
	Notes    string    `json:"notes,omitempty"`
	Created  time.Time `json:"created"`
}

// DeviceSummary is a device with what was found on it.
type DeviceSummary struct {
	Device
	Sources int   `json:"sources"`
	Files   int64 `json:"files"`
	Bytes   int64 `json:"bytes"`
	Errors  int64 `json:"errors"`
	// Alerts counts distinct contents on the device (as files or as chat
	// media) that match an alert hash set; Known those matching a known set.
	Alerts int64 `json:"alerts"`
	Known  int64 `json:"known"`
}

// Source is the acquisition record of one evidence source.
type Source struct {
	ID              int64     `json:"id"`
	DeviceID        int64     `json:"device_id"`
	Device          string    `json:"device"`
	Kind            string    `json:"kind"` // directory, zip, tar, tar.gz, disk-image/fat32 …
	Path            string    `json:"path"` // absolute path acquired
	Size            int64     `json:"size"` // container size (0 for a directory)
	ContainerMD5    string    `json:"container_md5,omitempty"`
	ContainerSHA1   string    `json:"container_sha1,omitempty"`
	ContainerSHA256 string    `json:"container_sha256,omitempty"`
	Operator        string    `json:"operator"`
	Host            string    `json:"host"`
	Tool            string    `json:"tool"` // tool name and version
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished,omitzero"`
	Status          string    `json:"status"` // running, complete, interrupted, failed
	Files           int64     `json:"files"`
	Bytes           int64     `json:"bytes"`
	Errors          int64     `json:"errors"`
	Verified        time.Time `json:"verified,omitzero"`
	VerifyStatus    string    `json:"verify_status,omitempty"`
}

// Content kinds.
const (
	KindImage    = "image"
	KindVideo    = "video"
	KindAudio    = "audio"
	KindDocument = "document"
	KindArchive  = "archive"
	KindDatabase = "database"
	KindOther    = "other"
)

// Content is one distinct content, keyed by SHA-256. A content known only
// from a chat database's media hash has no file, no MD5 and Origin "chat".
type Content struct {
	SHA256     string `json:"sha256"`
	MD5        string `json:"md5,omitempty"`
	SHA1       string `json:"sha1,omitempty"`
	Size       int64  `json:"size"` // -1 when unknown
	MIME       string `json:"mime,omitempty"`
	Kind       string `json:"kind,omitempty"`
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality int    `json:"pdq_quality"` // -1 when no PDQ
	// PDQDihedral holds the eight dihedral hashes (orig, rot90, rot180,
	// rot270, flipx, flipy, flipplus1, flipminus1), comma-separated.
	PDQDihedral string `json:"pdq_dihedral,omitempty"`
	EXIF        *EXIF  `json:"exif"`
	Error       string `json:"error,omitempty"` // analysis error (not a read error)
	Origin      string `json:"origin"`          // "file" or "chat"
}

// EXIF is what Vigil keeps of an image's EXIF metadata.
type EXIF struct {
	Make       string     `json:"make,omitempty"`
	Model      string     `json:"model,omitempty"`
	BodySerial string     `json:"body_serial,omitempty"`
	Software   string     `json:"software,omitempty"`
	Lat        *float64   `json:"lat,omitempty"`
	Lon        *float64   `json:"lon,omitempty"`
	Original   string     `json:"original,omitempty"` // DateTimeOriginal as written (local time, no zone)
	OriginalAt *time.Time `json:"original_at,omitempty"`
	Width      int        `json:"width,omitempty"`
	Height     int        `json:"height,omitempty"`
}

// File is one place where a content was found.
type File struct {
	ID         int64     `json:"id"`
	DeviceID   int64     `json:"device_id"`
	SourceID   int64     `json:"source_id"`
	Path       string    `json:"path"`        // inside the source; nested: "outer.zip/inner.jpg"
	ParentPath string    `json:"parent_path"` // the archive it was found in, "" at top level
	SHA256     string    `json:"sha256"`      // "" when the file could not be read
	Size       int64     `json:"size"`
	MTime      time.Time `json:"mtime,omitzero"`
	ATime      time.Time `json:"atime,omitzero"`
	CTime      time.Time `json:"ctime,omitzero"`
	BTime      time.Time `json:"btime,omitzero"`
	Deleted    bool      `json:"deleted"`
	Error      string    `json:"error,omitempty"`
}

// Batch is a unit of intake results written together.
type Batch struct {
	SourceID int64
	Contents []Content
	Files    []File
}

// FileQuery filters files; zero fields match everything.
type FileQuery struct {
	Device   string
	SourceID int64
	Kind     string
	SHA256   string
	Errors   bool   // only files with errors
	Match    string // "alert", "known", "none" (no hit in an alert or known set), "" for all
	// Undecided keeps only contents no analyst has decided on.
	Undecided bool
}

// FileView is a file joined with its device and content, as listed.
type FileView struct {
	Device     string    `json:"device"`
	Path       string    `json:"path"`
	ParentPath string    `json:"parent,omitempty"`
	Size       int64     `json:"size"`
	MD5        string    `json:"md5"`
	SHA1       string    `json:"sha1"`
	SHA256     string    `json:"sha256"`
	MIME       string    `json:"mime"`
	Kind       string    `json:"kind"`
	PDQ        *string   `json:"pdq"`
	PDQQuality *int      `json:"pdq_quality"`
	EXIF       *EXIF     `json:"exif"`
	Error      *string   `json:"error"`
	MTime      time.Time `json:"mtime,omitzero"`
	Deleted    bool      `json:"deleted"`
	// Match is "alert" when the content matches an alert hash set, else
	// "known" when it matches a known set, else "".
	Match string `json:"match"`
}

// ContentQuery filters contents; zero fields match everything.
type ContentQuery struct {
	Kind     string
	NeedPDQ  bool // images without a PDQ hash or error yet
	HasPDQ   bool
	Origin   string
	AfterSHA string // page after this key
	// NotMatchedWith selects contents not yet matched against the hash
	// sets of this fingerprint.
	NotMatchedWith string
	// MatchedWith selects contents matched against those sets.
	MatchedWith string
	Limit       int
}
