import { describe, expect, it } from "vitest";
import { authErrorMessage } from "@/lib/auth-errors";

describe("authErrorMessage", () => {
  it("maps GoTrue codes", () => {
    expect(authErrorMessage({ code: "invalid_credentials", message: "Invalid login credentials" })).toBe("Wrong e-mail or password.");
    expect(authErrorMessage({ code: "weak_password" })).toMatch(/stronger/);
  });
  it("falls back to the message when the code is missing", () => {
    expect(authErrorMessage({ message: "Invalid login credentials" })).toBe("Wrong e-mail or password.");
    expect(authErrorMessage({ message: "Something odd" })).toBe("Something odd");
  });
});
