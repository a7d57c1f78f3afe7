package synth

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"vigil/internal/phone"
)

// The countries of a synthetic operation: the ten of the seed operation's
// distributors. Mobile prefixes and national lengths follow each
// country's numbering plan, so every number generated is one that
// libphonenumber accepts as a valid mobile number of that country; the
// rest of each number is random, and every name and place is made up
// (surnames are the words for "example", "fictitious", "test" in the
// country's language; German uses Mustermann, its placeholder name).
type countryPlan struct {
	Code, Name string
	CC         string   // calling code
	Mobile     []string // national prefixes of mobile numbers
	Len        int      // national significant number length
	Lang       string   // es, it, de, pt
	Places     []string // fictitious places
	// Weights: the seed operation's distributors, arrests and places.
	Distributors, Suspects, PlaceCount int
}

var countryPlans = []countryPlan{
	{"ES", "Spain", "34", []string{"6", "71", "72", "73", "74"}, 9, "es",
		[]string{"Villaejemplo", "Puerto Ficticio", "Castrofalso", "San Nadie del Monte", "Valdeprueba", "Ribera Inventada",
			"Torre Supuesta", "Fuente Imaginaria", "Olmedo Ficticio", "Navas de Ejemplo"}, 40, 17, 7},
	{"CO", "Colombia", "57", []string{"300", "301", "310", "311", "312", "320", "321"}, 10, "es",
		[]string{"Villa Ejemplo", "San Ficticio", "Puerto Prueba"}, 14, 4, 2},
	{"IT", "Italy", "39", []string{"320", "328", "333", "340", "347", "349"}, 10, "it",
		[]string{"Borgo Esempio", "Fintavalle", "San Fittizio"}, 10, 3, 2},
	{"DE", "Germany", "49", []string{"151", "152", "157", "160", "170", "171", "176"}, 11, "de",
		[]string{"Musterstadt", "Beispielhausen", "Neu-Fiktiv"}, 8, 3, 2},
	{"BO", "Bolivia", "591", []string{"6", "7"}, 8, "es",
		[]string{"Villa Ficticia", "San Ejemplo"}, 7, 2, 1},
	{"CR", "Costa Rica", "506", []string{"6", "7", "8"}, 8, "es",
		[]string{"Puerto Inventado", "Santa Prueba"}, 6, 2, 1},
	{"PY", "Paraguay", "595", []string{"961", "971", "981", "982", "991"}, 9, "es",
		[]string{"Villa Supuesta", "San Ficticio del Sur"}, 5, 2, 1},
	{"CL", "Chile", "56", []string{"9"}, 9, "es",
		[]string{"Puerto Ejemplo", "Villa Prueba"}, 5, 2, 1},
	{"SV", "El Salvador", "503", []string{"6", "7"}, 8, "es",
		[]string{"San Inventado", "Ciudad Ejemplo"}, 4, 2, 1},
	{"PT", "Portugal", "351", []string{"91", "92", "93", "96"}, 9, "pt",
		[]string{"Vila Exemplo", "Porto Fictício"}, 4, 2, 1},
}

var (
	givenNames = map[string][]string{
		"es": {"Ana", "Luis", "Marta", "Pablo", "Sergio", "Elena", "Diego", "Lucía", "Jorge", "Rosa", "Tomás", "Inés",
			"Raúl", "Nuria", "Iván", "Clara", "Hugo", "Sara", "Mario", "Alba", "Andrés", "Paula", "Óscar", "Julia"},
		"it": {"Marco", "Giulia", "Paolo", "Chiara", "Luca", "Sara", "Davide", "Elisa", "Matteo", "Anna"},
		"de": {"Max", "Erika", "Jonas", "Lena", "Felix", "Anna", "Paul", "Mia", "Lukas", "Emma"},
		"pt": {"João", "Rita", "Nuno", "Inês", "Tiago", "Marta", "Rui", "Sofia", "Pedro", "Ana"},
	}
	placeholderSurnames = map[string][]string{
		"es": {"Ejemplo", "Ficticio", "Prueba", "Inventado", "Supuesto", "Modelo"},
		"it": {"Esempio", "Fittizio", "Prova", "Campione"},
		"de": {"Mustermann", "Musterfrau", "Beispiel", "Probe"},
		"pt": {"Exemplo", "Fictício", "Modelo", "Teste"},
	}
	nicknames = []string{"Nube", "Lobo", "Sol", "Gato", "Rayo", "Faro", "Roble", "Brisa", "Cometa", "Eco", "Zorro", "Luna"}
)

func planOf(code string) *countryPlan {
	for i := range countryPlans {
		if countryPlans[i].Code == code {
			return &countryPlans[i]
		}
	}
	return nil
}

// allocate splits total over weights by the largest remainder; when total
// allows, a weight whose share rounds to nothing gets one, taken from the
// largest share.
func allocate(total int, weights []int) []int {
	out := make([]int, len(weights))
	if total <= 0 {
		return out
	}
	sum := 0
	for _, w := range weights {
		sum += w
	}
	type rem struct{ i, r int }
	var rems []rem
	given := 0
	for i, w := range weights {
		out[i] = total * w / sum
		given += out[i]
		rems = append(rems, rem{i, total * w % sum})
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := 0; given < total; k = (k + 1) % len(rems) {
		out[rems[k].i]++
		given++
	}
	if total >= len(weights) {
		for i := range out {
			if out[i] > 0 || weights[i] == 0 {
				continue
			}
			big := 0
			for j := range out {
				if out[j] > out[big] {
					big = j
				}
			}
			out[big]--
			out[i]++
		}
	}
	return out
}

// numberer makes unique, valid mobile numbers.
type numberer struct {
	r    *rand.Rand
	used map[string]bool
}

// mobile returns a new E.164 number (without "+") of the country, one
// that internal/phone reads back as a valid number of that country.
func (n *numberer) mobile(c *countryPlan) (string, error) {
	for try := 0; try < 1000; try++ {
		p := c.Mobile[n.r.IntN(len(c.Mobile))]
		var b strings.Builder
		b.WriteString(c.CC)
		b.WriteString(p)
		for i := len(p); i < c.Len; i++ {
			b.WriteByte(byte('0' + n.r.IntN(10)))
		}
		d := b.String()
		if n.used[d] {
			continue
		}
		num, err := phone.FromDigits(d)
		if err != nil || !num.Valid || num.Region != c.Code {
			continue
		}
		n.used[d] = true
		return d, nil
	}
	return "", fmt.Errorf("synth: no valid mobile number found for %s after 1000 tries: check its plan", c.Code)
}

func personName(r *rand.Rand, lang string) string {
	g := givenNames[lang]
	s := placeholderSurnames[lang]
	return g[r.IntN(len(g))] + " " + s[r.IntN(len(s))]
}

func pushName(r *rand.Rand, name string) string {
	first, _, _ := strings.Cut(name, " ")
	switch r.IntN(3) {
	case 0:
		return first
	case 1:
		return fmt.Sprintf("%s%d", nicknames[r.IntN(len(nicknames))], 1+r.IntN(99))
	default:
		return first + " " + string([]rune(name[len(first)+1:])[:1]) + "."
	}
}

// digits returns n random decimal digits, the first not zero.
func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

const codeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// inviteCode returns a 22-character group invite code.
func inviteCode(r *rand.Rand) string {
	b := make([]byte, 22)
	for i := range b {
		b[i] = codeAlphabet[r.IntN(len(codeAlphabet))]
	}
	return string(b)
}

var (
	subjectWords = []string{"Colección", "Intercambio", "Archivo", "Sala", "Club", "Canal", "Punto", "Rincón", "Taller", "Círculo"}
	subjectTags  = []string{"Norte", "Sur", "Azul", "Verde", "Alfa", "Delta", "Omega", "Nueve", "Prisma", "Faro", "Ámbar", "Cobalto"}
	chatPhrases  = map[string][]string{
		"es": {"hola a todos", "gracias", "buenas noches", "¿alguien por aquí?", "ok", "👍", "bienvenidos", "mañana subo más",
			"no compartáis fuera del grupo", "perfecto", "jaja", "saludos", "¿seguimos mañana?", "recibido", "de acuerdo"},
		"it": {"ciao a tutti", "grazie", "buonanotte", "ok", "👍", "perfetto", "a domani", "ricevuto"},
		"de": {"hallo zusammen", "danke", "gute Nacht", "ok", "👍", "passt", "bis morgen", "angekommen"},
		"pt": {"olá a todos", "obrigado", "boa noite", "ok", "👍", "perfeito", "até amanhã", "recebido"},
	}
	linkPhrases = map[string]string{
		"es": "nuevo grupo: %s", "it": "nuovo gruppo: %s", "de": "neue Gruppe: %s", "pt": "novo grupo: %s",
	}
)
