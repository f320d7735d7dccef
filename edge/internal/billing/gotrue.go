package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	gotrue "github.com/supabase-community/gotrue-go"
	"github.com/supabase-community/gotrue-go/types"
)

// GoTrueDirectory reads e-mails through GoTrue's admin API with the service role key.
type GoTrueDirectory struct{ c gotrue.Client }

// NewGoTrueDirectory talks to <supabaseURL>/auth/v1.
func NewGoTrueDirectory(supabaseURL, serviceRoleKey string, timeout time.Duration) GoTrueDirectory {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	c := gotrue.New("local", serviceRoleKey).
		WithCustomGoTrueURL(strings.TrimRight(supabaseURL, "/") + "/auth/v1").
		WithToken(serviceRoleKey).
		WithClient(http.Client{Timeout: timeout})
	return GoTrueDirectory{c: c}
}

// Email returns the user's e-mail. gotrue-go takes no context; the client timeout bounds it.
func (d GoTrueDirectory) Email(ctx context.Context, user uuid.UUID) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	res, err := d.c.AdminGetUser(types.AdminGetUserRequest{UserID: user})
	if err != nil {
		return "", fmt.Errorf("gotrue admin get user: %w", err)
	}
	if res.Email == "" {
		return "", errors.New("gotrue: the user has no e-mail")
	}
	return res.Email, nil
}
