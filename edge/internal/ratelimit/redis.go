package ratelimit

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcraLua is one GCRA step, the same arithmetic as PostgreSQL's rate_limit_step: the bucket's
// theoretical arrival time (TAT) in microseconds of the Redis server's clock (shared by every
// edge instance, like clock_timestamp() in the database). One script call is one round trip and
// atomic. The key expires when the bucket is full again, so idle buckets cost nothing.
//
// KEYS[1] bucket; ARGV[1] emission interval (µs); ARGV[2] tolerance = emission × burst (µs).
// Returns {allowed (0|1), remaining, retry_after_us, reset_us}.
const gcraLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, math.floor((now - allow_at) / emission), 0, new_tat - now}
`

// keyPrefix keeps the limiter's keys apart from anything else in a shared Redis.
const keyPrefix = "octane:rl:"

// Redis is the store used when REDIS_URL is set; it answers like Postgres.
type Redis struct {
	client redis.UniversalClient
	script *redis.Script
}

// NewRedis wraps a client.
func NewRedis(c redis.UniversalClient) *Redis {
	return &Redis{client: c, script: redis.NewScript(gcraLua)}
}

// DialRedis opens a client for a redis:// or rediss:// URL. Requests honour their context's
// deadline, so a stalled Redis makes the limiter fail (closed on mint and redeem) instead of hang.
func DialRedis(url string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opt.ContextTimeoutEnabled = true
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	return NewRedis(redis.NewClient(opt)), nil
}

// Ping checks that Redis answers (the edge's readiness probe).
func (r *Redis) Ping(ctx context.Context) error { return r.client.Ping(ctx).Err() }

// Close closes the client.
func (r *Redis) Close() error { return r.client.Close() }

// Step runs one GCRA step in Redis (EVALSHA, with EVAL when the script is not cached yet).
func (r *Redis) Step(ctx context.Context, key string, perMinute, burst int) (Decision, error) {
	if perMinute <= 0 || burst <= 0 {
		return Decision{}, errors.New("ratelimit: rate and burst must be positive")
	}
	emission := int64(time.Minute/time.Microsecond) / int64(perMinute)
	v, err := r.script.Run(ctx, r.client, []string{keyPrefix + key}, emission, emission*int64(burst)).Int64Slice()
	if err != nil {
		return Decision{}, err
	}
	if len(v) != 4 {
		return Decision{}, errors.New("ratelimit: unexpected reply from the Redis script")
	}
	return Decision{
		Allowed:    v[0] == 1,
		Limit:      burst,
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
		Reset:      time.Duration(v[3]) * time.Microsecond,
	}, nil
}
