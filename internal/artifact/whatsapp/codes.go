package whatsapp

import (
	"strconv"

	"vigil/internal/store"
)

// Decode returns the name a code table gives a code, or "unknown(n)" for a
// code it does not know (spec §0 rule 1: raw codes are kept beside decoded
// names and never make an error).
func Decode(table map[int]string, code int) string {
	if s, ok := table[code]; ok {
		return s
	}
	return Unknown(code)
}

// Unknown is the name of a code no table knows.
func Unknown(code int) string { return "unknown(" + strconv.Itoa(code) + ")" }

// AndroidMessageTypes decodes msgstore message.message_type (spec §3.4).
// Codes on which parsers disagree (23, 81, 103) decode to their
// consensus-free raw form.
var AndroidMessageTypes = map[int]string{
	0:   store.TypeText,
	1:   store.TypeImage,
	2:   store.TypeAudio,
	3:   store.TypeVideo,
	4:   store.TypeContact,
	5:   store.TypeLocation,
	7:   store.TypeSystem,
	9:   store.TypeDocument,
	10:  store.TypeMissedCall,
	11:  store.TypeWaiting,
	13:  store.TypeGIF,
	14:  store.TypeContacts,
	15:  store.TypeDeleted,
	16:  store.TypeLiveLocation,
	20:  store.TypeSticker,
	24:  store.TypeInviteCard,
	36:  "disappearing-timer",
	42:  "view-once-image",
	43:  "view-once-video",
	56:  "disappearing-timer",
	64:  store.TypeAdminDeleted,
	66:  store.TypePoll,
	82:  "view-once-voice",
	90:  store.TypeCall,
	92:  "event",
	99:  "album",
	112: "chat-privacy",
}

// AndroidLegacyMessageTypes decodes legacy messages.media_wa_type (spec
// §4.1); a legacy system message is media_wa_type 0 with status 6.
var AndroidLegacyMessageTypes = map[int]string{
	0:  store.TypeText,
	1:  store.TypeImage,
	2:  store.TypeAudio,
	3:  store.TypeVideo,
	4:  store.TypeContact,
	5:  store.TypeLocation,
	8:  store.TypeCall,
	9:  store.TypeDocument,
	10: store.TypeMissedCall,
	11: store.TypeWaiting,
	13: store.TypeGIF,
	14: store.TypeContacts,
	15: store.TypeDeleted,
	16: store.TypeLiveLocation,
	20: store.TypeSticker,
	64: store.TypeAdminDeleted,
}

// AndroidActions decodes message_system.action_type and, in legacy files,
// the media_size of a system message (spec §3.5).
var AndroidActions = map[int]string{
	1:  store.ActionSubject,
	4:  store.ActionAdded, // older form: the added person is the subject
	5:  store.ActionLeft,  // older form
	6:  store.ActionIcon,
	7:  store.ActionRemoved,
	9:  store.ActionBroadcastCreated,
	10: store.ActionNumberChanged,
	11: store.ActionCreated,
	12: store.ActionAdded,
	13: store.ActionLeft,
	14: store.ActionRemoved,
	15: store.ActionAdminPromoted,
	16: store.ActionAdminDemoted,
	18: store.ActionSecurityCode,
	19: store.ActionEncryption,
	20: store.ActionJoinedByLink,
	21: store.ActionLinkReset,
	27: store.ActionDescription,
	28: store.ActionNumberChanged,
	29: store.ActionSettings,
	30: store.ActionSettings,
	31: store.ActionSettings,
	32: store.ActionSettings,
	52: store.ActionJoinedByCard,
	56: store.ActionDisappearing,
	59: store.ActionDisappearing,
	67: store.ActionEncryption,
	68: store.ActionDisappearing,
	69: store.ActionEncryption,
	79: store.ActionJoinedCommunity,
	84: store.ActionSettings,
	85: store.ActionSettings,
	91: store.ActionSettings,
	92: store.ActionSettings,
}

// Role decodes a participant rank (group_participant_user.rank, legacy
// group_participants.admin): 0 member, 1 admin, 2 creator (super-admin).
func Role(rank int64) string {
	switch {
	case rank >= 2:
		return store.RoleCreator
	case rank == 1:
		return store.RoleAdmin
	}
	return store.RoleMember
}
