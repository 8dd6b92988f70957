/** A PNG of `text` as a QR code, large enough for a phone camera to read from a screen. */
export async function qrCodePng(text: string): Promise<Buffer> {
  // Loaded when a login first needs it: qrcode and its PNG encoder are some 60 modules that a
  // bridge at rest does not need.
  const { default: QRCode } = await import("qrcode");
  return QRCode.toBuffer(text, { type: "png", errorCorrectionLevel: "M", margin: 3, scale: 8 });
}
