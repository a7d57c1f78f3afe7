// Package all lists every WhatsApp extractor. It lives apart from package
// whatsapp because the platform packages (android, ios, export) import
// whatsapp for what they share, so whatsapp cannot import them.
package all

import (
	"vigil/internal/artifact"
	"vigil/internal/artifact/whatsapp/android"
	"vigil/internal/artifact/whatsapp/export"
	"vigil/internal/artifact/whatsapp/ios"
)

// Extractors returns every WhatsApp extractor, ready for the intake.
func Extractors() []artifact.Extractor {
	return []artifact.Extractor{
		&android.Msgstore{},
		&android.WADB{},
		&android.Prefs{},
		&ios.Extractor{},
		&export.Extractor{},
	}
}
