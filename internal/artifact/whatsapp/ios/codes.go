package ios

import (
	"vigil/internal/artifact/whatsapp"
	"vigil/internal/store"
)

// ZWAMESSAGE.ZMESSAGETYPE codes (spec §6.3).
const (
	typeGroupEvent = 6
	typeNotice     = 10
)

// MessageTypes decodes ZWAMESSAGE.ZMESSAGETYPE (spec §6.3).
var MessageTypes = map[int]string{
	0:  store.TypeText,
	1:  store.TypeImage,
	2:  store.TypeVideo,
	3:  store.TypeAudio, // audio file or voice note: the row does not tell
	4:  store.TypeContact,
	5:  store.TypeLocation,
	6:  store.TypeSystem, // group event: see GroupEvents
	7:  store.TypeLinkPreview,
	8:  store.TypeDocument,
	10: store.TypeSystem, // notice: see Notices
	11: store.TypeGIF,
	12: store.TypeWaiting,
	14: store.TypeDeleted,
	15: store.TypeSticker,
	26: "product",
	27: store.TypeInviteCard,
	28: "disappearing-timer",
	38: "view-once-image",
	39: "view-once-video",
	46: store.TypePoll,
	53: "view-once-voice",
	54: store.TypeVideoNote,
	55: "channel-system",
	59: store.TypeCall,
	62: "channel-system",
	66: "album",
}

// mediaTypes are the message types whose media item's ZVCARDNAME is the
// SHA-256 of a media file (IPED trusts it for these only; spec §6.2).
var mediaTypes = map[int]bool{1: true, 2: true, 3: true, 8: true, 11: true, 15: true, 38: true, 39: true, 53: true, 54: true}

// GroupEvents decodes ZGROUPEVENTTYPE of group events (ZMESSAGETYPE 6,
// spec §6.4).
var GroupEvents = map[int]string{
	1:  store.ActionSubject,
	2:  store.ActionAdded,
	3:  store.ActionLeft,
	4:  store.ActionIcon,
	5:  store.ActionIcon, // icon deleted
	7:  store.ActionRemoved,
	9:  store.ActionNumberChanged,
	10: store.ActionAdminPromoted, // you are now an admin
	11: store.ActionAdminDemoted,  // you are no longer an admin
	12: store.ActionCreated,
	15: store.ActionJoinedByLink,
	17: store.ActionDescription,
	18: store.ActionSettings,
	19: store.ActionSettings,
	20: store.ActionSettings,
	21: store.ActionSettings,
	22: store.ActionDescription, // description deleted
	23: store.ActionJoinedByCard,
	26: store.ActionDisappearing,
	30: store.ActionJoinedCommunity,
	31: "community-added",
	33: "community-removed",
	39: store.ActionAdminPromoted, // a member became admin
	42: store.ActionSettings,
	43: "community-not-member",
	50: store.ActionAdded, // several members added
	56: store.ActionSubject,
	61: "community-added",
}

// Notices decodes ZGROUPEVENTTYPE of notices (ZMESSAGETYPE 10, spec §6.4).
var Notices = map[int]string{
	1:  store.TypeMissedCall,
	2:  store.ActionEncryption,
	3:  store.ActionSecurityCode,
	4:  store.TypeMissedCall,
	5:  store.ActionNumberChanged,
	6:  store.ActionNumberChanged,
	21: store.TypeMissedCall,
	22: store.TypeMissedCall,
	25: "business",
	26: "business",
	34: "blocked",
	35: "unblocked",
	36: store.ActionSecurityCode,
	38: "business",
	45: store.TypeMissedCall,
	46: store.TypeMissedCall,
	56: "contact-added",
}

// decodeNotice names a notice; unknown codes are "notice-unknown(n)", so
// they are not mistaken for group events' unknown codes.
func decodeNotice(code int) string {
	if s, ok := Notices[code]; ok {
		return s
	}
	return "notice-" + whatsapp.Unknown(code)
}
