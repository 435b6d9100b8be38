/** Hands a file to the browser's download (a PKCS#12, a PEM, a CRL, an audit bundle). */
export function saveBlob(blob: Blob, name: string): void {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export function saveText(text: string, name: string, type = 'application/x-pem-file'): void {
  saveBlob(new Blob([text], { type }), name);
}

export function saveBase64(b64: string, name: string, type: string): void {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  saveBlob(new Blob([bytes], { type }), name);
}

/** A file chosen by the operator, as text. */
export function readFileText(file: File): Promise<string> {
  return file.text();
}
