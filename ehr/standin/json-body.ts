/** A response's body as JSON, or null when it is empty or not JSON: what the stand-in records of payflow's answers. */
export async function jsonOrNull(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
