package audit

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Checkpoint is a signed statement that record Seq of case CaseID had hash
// Hash at Time.
type Checkpoint struct {
	CaseID    string `json:"case"`
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	Time      string `json:"time"`
	KeyID     string `json:"key"` // first 16 hex digits of SHA-256 of the public key
	Signature string `json:"sig"` // hex
}

func (c *Checkpoint) message() []byte {
	return []byte("vigil-checkpoint-v1\n" + c.CaseID + "\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" + c.Time)
}

// KeyID names a public key.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// Signer signs checkpoints with a case's key.
type Signer struct {
	caseID string
	key    ed25519.PrivateKey
	dir    string
}

// Verifier checks checkpoints against a case's public key.
type Verifier struct {
	caseID string
	pub    ed25519.PublicKey
}

// Public returns the verifier's public key as hex.
func (v *Verifier) Public() string { return hex.EncodeToString(v.pub) }

// Check verifies c's signature and that it belongs to the verifier's case.
func (v *Verifier) Check(c Checkpoint) error {
	if c.CaseID != v.caseID {
		return fmt.Errorf("checkpoint is for case %s, not %s", c.CaseID, v.caseID)
	}
	sig, err := hex.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(v.pub, c.message(), sig) {
		return fmt.Errorf("bad signature on checkpoint of record %d (key %s)", c.Seq, KeyID(v.pub))
	}
	return nil
}

// NewVerifier returns a verifier for a case from a hex public key.
func NewVerifier(caseID, pubHex string) (*Verifier, error) {
	b, err := hex.DecodeString(strings.TrimSpace(pubHex))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit public key %q: want %d bytes of hex", pubHex, ed25519.PublicKeySize)
	}
	return &Verifier{caseID: caseID, pub: ed25519.PublicKey(b)}, nil
}

// DefaultKeyDir is where case keys are kept: $VIGIL_KEYS, else the user's
// configuration directory (~/.config/vigil/keys on Linux). It is outside
// every case directory on purpose: whoever can edit a case cannot re-sign it.
func DefaultKeyDir() (string, error) {
	if d := os.Getenv("VIGIL_KEYS"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("audit keys: no configuration directory (set VIGIL_KEYS): %w", err)
	}
	return filepath.Join(d, "vigil", "keys"), nil
}

func keyPath(dir, caseID string) string   { return filepath.Join(dir, caseID+".ed25519") }
func headsPath(dir, caseID string) string { return filepath.Join(dir, caseID+".heads") }

// CreateKey makes a new signing key for a case in dir (mode 0600) and
// returns its public key as hex. It refuses to overwrite an existing key.
func CreateKey(dir, caseID string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("audit key directory %s: %w", dir, err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("audit key: %w", err)
	}
	p := keyPath(dir, caseID)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("audit key %s: %w", p, err)
	}
	if _, err := fmt.Fprintf(f, "%x\n", priv.Seed()); err != nil {
		f.Close()
		return "", fmt.Errorf("audit key %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("audit key %s: %w", p, err)
	}
	return hex.EncodeToString(pub), nil
}

// ErrNoKey is returned when a case's signing key is not in the key directory.
var ErrNoKey = errors.New("no signing key")

// LoadSigner reads a case's signing key from dir. It checks the key against
// the public key the case recorded, so a key of another case is refused.
func LoadSigner(dir, caseID, wantPub string) (*Signer, error) {
	p := keyPath(dir, caseID)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("audit key %s: %w (copy the case's key there, or set VIGIL_KEYS)", p, ErrNoKey)
	}
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", p, err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("audit key %s: not a hex Ed25519 seed", p)
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey))
	if wantPub != "" && pub != wantPub {
		return nil, fmt.Errorf("audit key %s: public key %s… is not the case's %s…", p, pub[:16], wantPub[:min(16, len(wantPub))])
	}
	return &Signer{caseID: caseID, key: key, dir: dir}, nil
}

// Verifier returns the verifier matching the signer's key.
func (s *Signer) Verifier() *Verifier {
	return &Verifier{caseID: s.caseID, pub: s.key.Public().(ed25519.PublicKey)}
}

// Sign makes a checkpoint of record (seq, hash) and appends it to the heads
// log beside the key, so that losing records and checkpoints from the store
// together is still detected.
func (s *Signer) Sign(seq int64, hash string, t time.Time) (Checkpoint, error) {
	c := Checkpoint{CaseID: s.caseID, Seq: seq, Hash: hash, Time: t.UTC().Format(TimeFormat),
		KeyID: KeyID(s.key.Public().(ed25519.PublicKey))}
	c.Signature = hex.EncodeToString(ed25519.Sign(s.key, c.message()))
	f, err := os.OpenFile(headsPath(s.dir, s.caseID), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return c, fmt.Errorf("audit heads log: %w", err)
	}
	b, _ := json.Marshal(c)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return c, fmt.Errorf("audit heads log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return c, fmt.Errorf("audit heads log: %w", err)
	}
	return c, f.Close()
}

// Heads reads the checkpoints logged beside a case's key (none when the log
// does not exist).
func Heads(dir, caseID string) ([]Checkpoint, error) {
	f, err := os.Open(headsPath(dir, caseID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit heads log: %w", err)
	}
	defer f.Close()
	var out []Checkpoint
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var c Checkpoint
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return out, fmt.Errorf("audit heads log %s line %d: %w", f.Name(), line, err)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}
