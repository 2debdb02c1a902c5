// How the app signs in, decided by /config.json (written at deploy time by stacks/web.py): on AWS, Cognito's
// hosted UI with the authorization code grant and PKCE (S256); without it (`dam local`), the Token form.

export interface CognitoConfig {
  region: string;
  userPoolId: string;
  clientId: string;
  domain: string; // https://<prefix>.auth.<region>.amazoncognito.com
}

export type AppConfig = { apiUrl: string; auth: "local" } | { apiUrl: string; auth: "cognito"; cognito: CognitoConfig };

const LOCAL: AppConfig = { apiUrl: "", auth: "local" };
const PENDING_KEY = "dam.pkce"; // the verifier and state of a sign-in under way, for this tab only

/** /config.json, or the local stack's defaults when there is none (dam local answers index.html). */
export async function loadConfig(): Promise<AppConfig> {
  try {
    const response = await fetch("/config.json", { cache: "no-cache" });
    if (!response.ok || !response.headers.get("Content-Type")?.includes("json")) return LOCAL;
    const body = await response.json();
    const apiUrl = String(body.apiUrl ?? "").replace(/\/+$/, "");
    if (body.auth === "cognito" && body.cognito?.domain && body.cognito?.clientId) {
      return { apiUrl, auth: "cognito", cognito: body.cognito as CognitoConfig };
    }
    return { apiUrl, auth: "local" };
  } catch {
    return LOCAL;
  }
}

/** base64url without padding (RFC 7636 appendix A). */
export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A code verifier: 32 random bytes, 43 characters of [A-Za-z0-9-_] (RFC 7636 4.1 asks 43 to 128). */
export function newVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 code challenge: base64url(SHA-256(ASCII(verifier))) (RFC 7636 4.2). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

function redirectUri(): string {
  return `${location.origin}/`;
}

/** Off to the hosted UI; it comes back to / with ?code=…&state=…. */
export async function beginSignIn(cognito: CognitoConfig): Promise<void> {
  const verifier = newVerifier();
  const state = newVerifier();
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, back: location.pathname + location.search }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: cognito.clientId,
    redirect_uri: redirectUri(),
    scope: "openid email profile",
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`${cognito.domain}/oauth2/authorize?${query}`);
}

/** Back from the hosted UI: the code and this tab's verifier for tokens; the ID token (the API reads its claims),
 * or null when this page load is no such return. Throws when the return is not the one this tab started. */
export async function finishSignIn(cognito: CognitoConfig): Promise<string | null> {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const error = params.get("error");
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null");
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, "", pending?.back ?? "/");
  if (error) throw new Error(params.get("error_description") ?? error);
  if (!pending || params.get("state") !== pending.state) throw new Error("That sign-in was not started here; sign in again.");
  const response = await fetch(`${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: cognito.clientId,
      code: code!,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Cognito refused the sign-in (${response.status}); sign in again.`);
  const tokens = await response.json();
  return String(tokens.id_token);
}

/** The hosted UI's sign-out, which comes back to the app. */
export function signOutUrl(cognito: CognitoConfig): string {
  return `${cognito.domain}/logout?${new URLSearchParams({ client_id: cognito.clientId, logout_uri: redirectUri() })}`;
}
