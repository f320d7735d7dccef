package dbtest

import (
	"reflect"
	"strings"
	"testing"
)

// Fixture migrations for the architecture check: definitions in any case and spacing, quoted
// and unqualified names, a replacement, drops, and "create function" text that is no definition
// (comments, string literals, dollar-quoted bodies).
var fixtureMigrations = []migration{
	{"20260101000100_one", `
-- create function public.in_comment() is only a comment
/* create function public.in_block() too */
create function public.alpha() returns int language sql as $$ select 1 $$;
CREATE   OR  REPLACE
  FUNCTION Public . Beta (x int) returns text language plpgsql as $body$
begin
  execute 'create function public.in_string() returns int';
  return $$create function public.in_body()$$;
end
$body$;
create function gamma() returns text language sql as 'select ''create function public.in_literal()''';
create function "public"."delta"() returns int language sql as $$ select 4 $$;
create function public.gone(public.import_status, int) returns int language sql as $$ select 5 $$;
`},
	{"20260101000200_two", `
create or replace function public.alpha() returns int language sql as $$ select 2 $$;
drop function public.gone(public.import_status, int);
drop function if exists public.delta(), public.never_defined(int, public.beta) cascade; -- a type named like a function
create function public.delta() returns int language sql as $$ select 4 $$;
create function audit.epsilon() returns trigger language plpgsql as $fn$ begin return new; end $fn$;
`},
}

const fixtureDoc = "Intro.\n\n" +
	"| function | caller | does | defined in |\n" +
	"| --- | --- | --- | --- |\n" +
	"| `alpha` | edge | one | `20260101000200_two` |\n" +
	"| `beta`, `gamma` | edge | two | `20260101000100_one` |\n" +
	"| `delta`, `audit.epsilon` | trigger on `x` | three | `20260101000200_two` |\n" +
	"\nOther text.\n\n" +
	"| package | job in one sentence |\n" +
	"| --- | --- |\n" +
	"| `not_a_function` | another table, not checked |\n"

func TestLatestDefinitionsReadsOnlyCode(t *testing.T) {
	want := map[string]string{
		"public.alpha":  "20260101000200_two", // replaced
		"public.beta":   "20260101000100_one",
		"public.gamma":  "20260101000100_one", // unqualified: public
		"public.delta":  "20260101000200_two", // dropped, then created again
		"audit.epsilon": "20260101000200_two",
		// public.gone is dropped; in_* are comments, literals and bodies.
	}
	if got := latestDefinitions(fixtureMigrations); !reflect.DeepEqual(got, want) {
		t.Errorf("latestDefinitions:\n got %v\nwant %v", got, want)
	}
}

// Each edit of the fixture table is one mistake the check must name; the table as written passes.
func TestFunctionTableCheckCatchesEachMistake(t *testing.T) {
	alphaRow := "| `alpha` | edge | one | `20260101000200_two` |"
	for _, c := range []struct {
		name, old, new, want string
	}{
		{name: "as written"},
		{"two migrations in a cell", alphaRow,
			"| `alpha` | edge | one | `20260101000100_one`, `20260101000200_two` |", "must name exactly one migration"},
		{"no migration in a cell", alphaRow, "| `alpha` | edge | one | the second one |", "must name exactly one migration"},
		{"an earlier definition named", alphaRow,
			"| `alpha` | edge | one | `20260101000100_one` |", "its current definition is in 20260101000200_two"},
		{"a defined function left out", "`delta`, `audit.epsilon`", "`delta`",
			"audit.epsilon (defined in 20260101000200_two) is in no function table"},
		{"a dropped function listed", "`beta`, `gamma`", "`beta`, `gamma`, `gone`", "lists public.gone in 20260101000100_one, but no migration defines it"},
		{"a function only in a body listed", "`beta`, `gamma`", "`beta`, `gamma`, `in_body`", "lists public.in_body in 20260101000100_one, but no migration defines it"},
		{"a function listed twice", alphaRow, alphaRow + "\n" + alphaRow, "public.alpha is listed twice"},
		{"prose in the function cell", "`beta`, `gamma`", "`beta` and `gamma`", "is not a list of `name`s"},
		{"a row with a cell missing", alphaRow, "| `alpha` | one | `20260101000200_two` |", "want 4 cells"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := fixtureDoc
			if c.old != "" {
				if !strings.Contains(doc, c.old) {
					t.Fatalf("fixture has no %q", c.old)
				}
				doc = strings.Replace(doc, c.old, c.new, 1)
			}
			problems := functionTableProblems(doc, latestDefinitions(fixtureMigrations))
			if c.want == "" {
				if len(problems) != 0 {
					t.Fatalf("want no problems, got %q", problems)
				}
				return
			}
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Fatalf("want a problem containing %q, got %q", c.want, problems)
		})
	}
}
