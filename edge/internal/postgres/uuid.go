package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Configure sets up the edge's pool: every connection sends and reads github.com/google/uuid
// values as binary uuids (RegisterUUID).
func Configure(cfg *pgxpool.Config) {
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		RegisterUUID(c.TypeMap())
		return nil
	}
}

// RegisterUUID lets m encode uuid.UUID arguments and scan into *uuid.UUID as the 16 bytes they
// are. Without it pgx takes uuid.UUID's database/sql path: each argument is formatted as text,
// fails a binary encode (with an error built by fmt.Errorf), is parsed back and then encoded, and
// each result is formatted and parsed; that was about a tenth of the edge's CPU per import minted
// (docs/latency.md). Where the database wants text, the wrapped value still goes as text.
func RegisterUUID(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{wrapUUIDEncode}, m.TryWrapEncodePlanFuncs...)
	m.TryWrapScanPlanFuncs = append([]pgtype.TryWrapScanPlanFunc{wrapUUIDScan}, m.TryWrapScanPlanFuncs...)
}

func wrapUUIDEncode(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	u, ok := value.(uuid.UUID)
	if !ok {
		return nil, nil, false
	}
	return &uuidEncodePlan{}, pgtype.UUID{Bytes: u, Valid: true}, true
}

type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(pgtype.UUID{Bytes: value.(uuid.UUID), Valid: true}, buf)
}

func wrapUUIDScan(target any) (pgtype.WrappedScanPlanNextSetter, any, bool) {
	u, ok := target.(*uuid.UUID)
	if !ok {
		return nil, nil, false
	}
	return &uuidScanPlan{}, (*[16]byte)(u), true
}

type uuidScanPlan struct{ next pgtype.ScanPlan }

func (p *uuidScanPlan) SetNext(next pgtype.ScanPlan) { p.next = next }

func (p *uuidScanPlan) Scan(src []byte, target any) error {
	return p.next.Scan(src, (*[16]byte)(target.(*uuid.UUID)))
}
