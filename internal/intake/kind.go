package intake

import (
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"vigil/internal/store"
)

// sniffLimit is how many leading bytes decide a file's type.
const sniffLimit = 3072

func init() { mimetype.SetLimit(sniffLimit) }

// Sniff returns the MIME type and kind of a file from its first bytes.
func Sniff(head []byte) (mime, kind string) {
	m := mimetype.Detect(head)
	mime = m.String()
	if i := strings.IndexByte(mime, ';'); i >= 0 {
		mime = mime[:i]
	}
	return mime, KindOf(m)
}

var archiveTypes = []string{
	"application/zip", "application/x-tar", "application/gzip", "application/x-7z-compressed",
	"application/x-rar-compressed", "application/x-bzip2", "application/x-xz", "application/zstd",
	"application/x-iso9660-image", "application/vnd.rar", "application/x-lzip", "application/x-ms-compress-szdd",
}

var databaseTypes = []string{"application/vnd.sqlite3", "application/x-sqlite3"}

// KindOf classifies a detected type into image, video, audio, document,
// archive, database or other.
func KindOf(m *mimetype.MIME) string {
	for t := m; t != nil; t = t.Parent() {
		s := t.String()
		switch {
		case strings.HasPrefix(s, "image/"):
			return store.KindImage
		case strings.HasPrefix(s, "video/"):
			return store.KindVideo
		case strings.HasPrefix(s, "audio/"):
			return store.KindAudio
		case mimetype.EqualsAny(s, databaseTypes...):
			return store.KindDatabase
		case mimetype.EqualsAny(s, "application/pdf", "application/msword", "application/rtf", "text/rtf",
			"application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/epub+zip") ||
			strings.HasPrefix(s, "application/vnd.openxmlformats-officedocument.") ||
			strings.HasPrefix(s, "application/vnd.oasis.opendocument.") ||
			strings.HasPrefix(s, "text/"):
			return store.KindDocument
		case mimetype.EqualsAny(s, archiveTypes...):
			return store.KindArchive
		}
	}
	return store.KindOther
}
