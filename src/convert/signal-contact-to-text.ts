import type { signalservice } from "../proto/generated/signal.js";

type Contact = signalservice.DataMessage.IContact;

// Labels for signalservice.DataMessage.Contact.{Phone,Email}.Type and PostalAddress.Type.
const PHONE_OR_EMAIL_TYPES = ["", "home", "mobile", "work"] as const;
const ADDRESS_TYPES = ["", "home", "work"] as const;

function label(
  types: readonly string[],
  type: number | null | undefined,
  custom: string | null | undefined,
): string {
  const known = types[type ?? 0];
  const text = known || custom?.trim() || "";
  return text ? ` (${text})` : "";
}

/** The name a contact card shows, from the most specific parts it has. */
export function contactName(contact: Contact): string {
  const name = contact.name;
  const parts = [name?.prefix, name?.givenName, name?.middleName, name?.familyName, name?.suffix]
    .map((part) => part?.trim())
    .filter((part): part is string => Boolean(part));
  return (
    parts.join(" ") ||
    name?.nickname?.trim() ||
    name?.displayName?.trim() ||
    contact.organization?.trim() ||
    "Unnamed contact"
  );
}

/** A shared Signal contact card as readable lines: name, organisation, numbers, emails, addresses. */
export function contactToText(contact: Contact): string {
  const lines = [`Contact: ${contactName(contact)}`];
  const organization = contact.organization?.trim();
  if (organization && organization !== contactName(contact)) lines.push(`Organization: ${organization}`);
  for (const phone of contact.number ?? []) {
    if (phone.value?.trim()) {
      lines.push(`Phone${label(PHONE_OR_EMAIL_TYPES, phone.type, phone.label)}: ${phone.value.trim()}`);
    }
  }
  for (const email of contact.email ?? []) {
    if (email.value?.trim()) {
      lines.push(`Email${label(PHONE_OR_EMAIL_TYPES, email.type, email.label)}: ${email.value.trim()}`);
    }
  }
  for (const address of contact.address ?? []) {
    const parts = [
      address.street,
      address.pobox,
      address.neighborhood,
      address.city,
      address.region,
      address.postcode,
      address.country,
    ]
      .map((part) => part?.trim())
      .filter((part): part is string => Boolean(part));
    if (parts.length > 0) {
      lines.push(`Address${label(ADDRESS_TYPES, address.type, address.label)}: ${parts.join(", ")}`);
    }
  }
  return lines.join("\n");
}
