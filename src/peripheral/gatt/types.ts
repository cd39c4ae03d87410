import type { BytesLike, CharacteristicFlag } from '../../core/index.js';

/** The flags a descriptor can have, as BlueZ names them. */
export const DESCRIPTOR_FLAGS = [
  'read',
  'write',
  'encrypt-read',
  'encrypt-write',
  'encrypt-authenticated-read',
  'encrypt-authenticated-write',
  'secure-read',
  'secure-write',
  'authorize',
] as const;

/** One of DESCRIPTOR_FLAGS. */
export type DescriptorFlag = (typeof DESCRIPTOR_FLAGS)[number];

/** The central behind a request, as far as BlueZ tells us. */
export interface RemoteDevice {
  /** BlueZ object path, e.g. /org/bluez/hci1/dev_00_AA_01_00_00_00. */
  path: string;
  /** 'AA:BB:CC:DD:EE:FF', taken from the path. */
  address: string;
}

/** What a read handler learns about the read. */
export interface ReadRequest {
  /** Where the client starts reading (long reads). blekit slices the value you return. */
  offset: number;
  /** ATT MTU of the link. */
  mtu?: number;
  device?: RemoteDevice;
  /** 'LE' or 'BR/EDR'. */
  link?: string;
}

/** What a write handler (or a 'write' listener) learns about the write. */
export interface WriteRequest {
  /** The bytes written (for a long write, this part only: see `offset`). */
  value: Buffer;
  /** Where in the attribute's value `value` goes; 0 for all but long writes. */
  offset: number;
  /** ATT MTU of the link, when BlueZ says. */
  mtu?: number;
  /** The central that wrote, when BlueZ says (not through AcquireWrite). */
  device?: RemoteDevice;
  /** 'LE' or 'BR/EDR', when BlueZ says. */
  link?: string;
  /**
   * 'command', 'request' or 'reliable' when BlueZ says; BlueZ 5.66 never does, so expect
   * undefined there.
   */
  type?: 'command' | 'request' | 'reliable';
  /** True for a prepare-write authorization check (characteristics flagged 'authorize'). */
  prepareAuthorize: boolean;
}

/** Returns the WHOLE value; blekit applies the request's offset. */
export type ReadHandler = (req: ReadRequest) => BytesLike | Promise<BytesLike>;
/** Handles a write; throwing an AttError answers the client with that error. */
export type WriteHandler = (req: WriteRequest) => void | Promise<void>;

/** A descriptor of a service given as an object. */
export interface DescriptorDefinition {
  /** A 16-bit number (0x2901) or a UUID string. */
  uuid: string | number;
  /** Default ['read']. */
  flags?: readonly DescriptorFlag[];
  /** Initial value (served when there is no onRead). Strings are UTF-8. */
  value?: BytesLike;
  /** Computes each read's value instead of serving the stored one. */
  onRead?: ReadHandler;
  /** Without one, writes replace the stored value. */
  onWrite?: WriteHandler;
  /** Ask BlueZ for this handle (0 or absent: BlueZ picks). */
  handle?: number;
}

/** A characteristic of a service given as an object. */
export interface CharacteristicDefinition {
  /** A 16-bit number (0x2a37) or a UUID string. */
  uuid: string | number;
  /** Default ['read']. */
  flags?: readonly CharacteristicFlag[];
  /** Initial value (served when there is no onRead), at most 512 bytes. Strings are UTF-8. */
  value?: BytesLike;
  /** Computes each read's value instead of serving the stored one. */
  onRead?: ReadHandler;
  /** Handles writes; without one, writes replace the stored value. */
  onWrite?: WriteHandler;
  /** Its descriptors; BlueZ adds the CCCD itself for notify and indicate. */
  descriptors?: readonly DescriptorDefinition[];
  /** Ask BlueZ for this handle (0 or absent: BlueZ picks). */
  handle?: number;
  /**
   * Serve subscriptions through BlueZ's AcquireNotify (a socket per characteristic instead
   * of a D-Bus signal per value). Default true when blekit's native addon is available.
   */
  fastNotify?: boolean;
  /**
   * Take writes through BlueZ's AcquireWrite socket. BlueZ then answers every write itself:
   * onWrite cannot reject, and offset and device are unknown. Default false.
   */
  fastWrite?: boolean;
}

/** A service given as an object (the other way is a Service class). */
export interface ServiceDefinition {
  /** A 16-bit number (0x180d) or a UUID string. */
  uuid: string | number;
  /** Default true. */
  primary?: boolean;
  /** Its characteristics, in handle order. */
  characteristics?: readonly CharacteristicDefinition[];
  /** Services this one includes; they are registered before it. */
  includes?: readonly ServiceLike[];
  /** Ask BlueZ for this handle (0 or absent: BlueZ picks). */
  handle?: number;
}

/** Anything addService accepts. `Service` is the decorator-based base class. */
export type ServiceLike =
  | ServiceDefinition
  | {
      /** The plain definition this object stands for (a Service subclass builds it). */
      toDefinition(): ServiceDefinition;
    };
