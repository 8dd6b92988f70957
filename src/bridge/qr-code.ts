import QRCode from "qrcode";

/** A PNG of `text` as a QR code, large enough for a phone camera to read from a screen. */
export function qrCodePng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: "png", errorCorrectionLevel: "M", margin: 3, scale: 8 });
}
