/**
 * The login form shown instead of the cockpit when the server has auth on. `onLogin` rejects
 * with the server's message (a wrong password), which is shown under the form.
 */
import { useState, type FormEvent } from 'react';

export function LoginScreen({ onLogin }: { onLogin: (username: string, password: string) => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onLogin(username, password);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <form className="login" data-testid="login" onSubmit={(e) => { void submit(e); }}>
      <h1>cpe</h1>
      <label>User name <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required /></label>
      <label>Password <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
      <button type="submit" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      {error && <p className="login-error" role="alert" data-testid="login-error">{error}</p>}
    </form>
  );
}
