// Public boundary of the Signal client library.
export { linkDevice, type LinkDeviceOptions, type LinkedAccount } from "./link-device.js";
export { PRODUCTION_ENVIRONMENT, SIGNAL_ROOT_CA_PEM } from "./production-environment.js";
export {
  localTestEnvironment,
  type LocalTestEnvironment,
  type LocalTestServerParams,
  type ProductionEnvironment,
  type SignalEnvironment,
} from "./environment.js";
export * from "./errors.js";
export type * from "./storage.js";
export { SignalClient, NotLinkedError, type SignalClientOptions } from "./signal-client.js";
export { NotConnectedError, type ReconnectPolicy } from "./chat-connection.js";
export type { SignalRequestReport, SignalRequestReporter } from "./request-reports.js";
export type * from "./events.js";
export { BUFFERED_EVENT_TYPES } from "./events.js";
export {
  MessageSender,
  type OutgoingPayload,
  type SendOptions,
  type SendResult,
  type SealedSenderTransport,
} from "./message-sender.js";
export {
  StorageServiceReader,
  type StorageServiceReaderOptions,
  type StorageServiceSnapshot,
} from "./storage-service/storage-service-reader.js";
export type {
  PinnedConversation,
  StorageAccount,
  StorageContact,
  StorageGroup,
} from "./storage-service/storage-records.js";
export { StorageServiceError, type AccountKeyMaterial } from "./storage-service/storage-keys.js";
export {
  GroupsClient,
  newGroupMasterKey,
  type GroupJoinInfo,
  type GroupJoinOutcome,
  type NewGroup,
  type GroupMessageContext,
  type GroupModification,
  type GroupModificationResult,
  type GroupsClientOptions,
  type GroupUpdate,
} from "./groups/groups-client.js";
export type * from "./groups/group-model.js";
export type { DecryptedGroupChange, GroupEdit } from "./groups/group-change.js";
export {
  groupChangeNotice,
  type GroupChangeNotice,
  type GroupNoticeAction,
  type GroupNoticeAccess,
} from "./groups/group-change-notice.js";
export { GroupDataError } from "./groups/group-cipher.js";
export {
  groupInviteLinkOf,
  InvalidGroupLinkError,
  parseGroupInviteLink,
  type GroupInviteLink,
} from "./groups/group-invite-link.js";
export { groupIdOf, loadGroup, saveGroup, saveMemberProfileKeys } from "./groups/group-storage.js";
export { GroupAccessDeniedError, GroupConflictError } from "./groups/groups-api.js";
export * from "./attachments/attachment-errors.js";
export {
  DEFAULT_MAX_ATTACHMENT_BYTES,
  downloadAttachment,
  downloadAttachmentBytes,
  type AttachmentDownload,
  type AttachmentPointerFields,
  type DownloadedAttachment,
  type DownloadOptions,
} from "./attachments/attachment-download.js";
export {
  uploadAttachment,
  uploadFormsOf,
  type AttachmentSource,
  type AttachmentUploadDetails,
  type UploadFormSource,
  type UploadOptions,
} from "./attachments/attachment-upload.js";
export { ContactSyncError } from "./contacts/contact-details-reader.js";
export { syncContacts, type ContactSyncOptions, type SyncedContact } from "./contacts/contact-sync.js";
export {
  DiscoveryAuthError,
  DiscoveryRateLimitedError,
  type DiscoveredAccount,
} from "./contacts/contact-discovery.js";
export { ProfileDecryptionError } from "./profiles/profile-cipher.js";
export { deriveAccessKey } from "./profiles/profile-keys.js";
export {
  fetchProfile,
  profileDisplayName,
  ProfileNotFoundError,
  type FetchProfileOptions,
  type SealedSenderAccess,
  type SignalProfile,
} from "./profiles/profile-fetch.js";
export { downloadProfileAvatar } from "./profiles/profile-avatar.js";
export { ProfileCache, type ProfileCacheOptions } from "./profiles/profile-cache.js";
export type { ChatRequester } from "./chat-api.js";
export {
  sendDataMessage,
  sendDelete,
  sendEdit,
  sendMessageRequestResponse,
  sendReaction,
  sendReadSync,
  sendReceipt,
  sendTyping,
  sendViewedSync,
  type Destination,
  type MessageRequestAnswer,
  type SentMessage,
} from "./outgoing-message.js";
export * from "./send/content-builders.js";
export * from "./send/send-errors.js";
export * from "./send/rate-limit-challenge.js";
export * from "./transient-errors.js";
export type { SendContext } from "./send/send-context.js";
export { safetyNumber, UnknownIdentityKeyError, type SafetyNumberOptions } from "./safety-number.js";
export { unlinkOwnDevice } from "./unlink-own-device.js";
export { InvalidUsernameError, looksLikeUsername } from "./usernames/username-lookup.js";
export { saveStorageContacts } from "./storage-service/storage-contacts.js";
export { NoHistoryTransferError, TransferArchiveError } from "./backups/backup-errors.js";
export type { HistoryItem } from "./backups/history-items.js";
export type { HistoryArchive, HistoryChat, HistoryPeer } from "./backups/history-reader.js";
export { decodeHistoryItems, encodeHistoryItems } from "./backups/history-item-codec.js";
export type { TransferArchiveAnswer, TransferArchiveLocation } from "./backups/transfer-archive.js";
export type { signalservice } from "../proto/generated/signal.js";
