/**
 * "Your data": classes the user adds from image files or the webcam, kept as RGBA at the model's input
 * resolution. The training runtime receives them through the training store, which holds out part of each
 * class for an honest accuracy (runtime/training/train-data.ts holdOut). The classes and their images are kept in this
 * browser's IndexedDB (idb-keyval), restored on the next visit, and deleted for good by clear().
 */
import { create } from 'zustand';
import { clear as idbClear, createStore, get as idbGet, set as idbSet, type UseStore } from 'idb-keyval';
import type { UserSample } from '../runtime/training/training-api';
import { useTraining } from './training';

export interface UserClass {
  name: string;
  samples: UserSample[];
}

/** Where the classes are kept between visits: 'off' without IndexedDB (Node, some private modes). */
export type Persistence = 'off' | 'restoring' | 'saving' | 'saved' | 'error';

export interface UserDataState {
  classes: UserClass[];
  persistence: Persistence;
  /** A one-line note about persistence (what was restored, or why it failed). */
  persistNote: string;
  addClass(name: string): void;
  removeClass(index: number): void;
  addSamples(index: number, samples: Omit<UserSample, 'label'>[]): void;
  /** Removes every class and deletes the saved copy from this browser. */
  clear(): Promise<void>;
}

const MAX_CLASSES = 20;
const MAX_SAMPLES_PER_CLASS = 500;
const SAVE_DELAY_MS = 250;
const KEY = 'classes-v1';

/** The stored form: class names and their images (structured clone keeps the typed arrays). */
interface StoredClass {
  name: string;
  samples: { width: number; height: number; rgba: Uint8ClampedArray }[];
}

/** Checks a stored value before trusting it: anything malformed is refused as a whole. */
export function fromStored(value: unknown): UserClass[] | null {
  if (!Array.isArray(value) || value.length > MAX_CLASSES) return null;
  const classes: UserClass[] = [];
  for (const [label, c] of (value as StoredClass[]).entries()) {
    if (typeof c?.name !== 'string' || !Array.isArray(c.samples)) return null;
    const samples: UserSample[] = [];
    for (const s of c.samples.slice(0, MAX_SAMPLES_PER_CLASS)) {
      const ok =
        Number.isInteger(s?.width) &&
        Number.isInteger(s?.height) &&
        s.width > 0 &&
        s.height > 0 &&
        s.rgba instanceof Uint8ClampedArray &&
        s.rgba.length === 4 * s.width * s.height;
      if (!ok) return null;
      samples.push({ label, width: s.width, height: s.height, rgba: s.rgba });
    }
    classes.push({ name: c.name.slice(0, 40), samples });
  }
  return classes;
}

export function toStored(classes: UserClass[]): StoredClass[] {
  return classes.map((c) => ({
    name: c.name,
    samples: c.samples.map(({ width, height, rgba }) => ({ width, height, rgba })),
  }));
}

/** One line per problem with the classes as they are: a single class, empty classes, duplicate names. */
export function dataWarnings(classes: readonly UserClass[]): string[] {
  const out: string[] = [];
  const filled = classes.filter((c) => c.samples.length > 0);
  if (classes.length === 1) out.push(`Only one class ("${classes[0].name}"): a classifier needs at least two.`);
  else if (classes.length > 1 && filled.length === 1)
    out.push(`Only "${filled[0].name}" has images: a classifier needs images in at least two classes.`);
  if (filled.length > 0)
    for (const c of classes)
      if (c.samples.length === 0) out.push(`"${c.name}" has no images: the model learns nothing about it.`);
  const seen = new Map<string, number>();
  for (const c of classes) seen.set(c.name.trim().toLowerCase(), (seen.get(c.name.trim().toLowerCase()) ?? 0) + 1);
  for (const [name, n] of seen)
    if (n > 1) out.push(`${n} classes are named "${name}": rename them so the results can tell them apart.`);
  for (const c of classes)
    if (c.samples.length === 1)
      out.push(`"${c.name}" has one image: it trains, but none is held out, so no held-out accuracy for it.`);
  return out;
}

function push(classes: UserClass[]): void {
  const samples = classes.flatMap((c, label) => c.samples.map((s) => ({ ...s, label })));
  void useTraining.getState().setUserData(
    samples,
    classes.map((c) => c.name),
  );
}

const idb: UseStore | null = typeof indexedDB === 'undefined' ? null : createStore('tinytrain-your-data', 'classes');
let saveTimer: ReturnType<typeof setTimeout> | null = null;
/** Resolves once the saved classes were read (or there were none): nothing is saved before, so none is lost. */
let restored: Promise<void> = Promise.resolve();

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const useUserData = create<UserDataState>((set, get) => {
  function save(): void {
    if (!idb) return;
    if (saveTimer) clearTimeout(saveTimer);
    set({ persistence: 'saving' });
    saveTimer = setTimeout(() => {
      saveTimer = null;
      void restored
        .then(() => idbSet(KEY, toStored(get().classes), idb))
        .then(
          () => set({ persistence: 'saved', persistNote: '' }),
          (e: unknown) => set({ persistence: 'error', persistNote: `not saved in this browser: ${message(e)}` }),
        );
    }, SAVE_DELAY_MS);
  }

  function change(classes: UserClass[], train = true): void {
    set({ classes });
    if (train) push(classes);
    save();
  }

  return {
    classes: [],
    persistence: idb ? 'restoring' : 'off',
    persistNote: '',
    addClass(name) {
      const clean = name.trim().slice(0, 40) || `class ${get().classes.length + 1}`;
      if (get().classes.length >= MAX_CLASSES) return;
      change([...get().classes, { name: clean, samples: [] }], false);
    },
    removeClass(index) {
      change(
        get()
          .classes.filter((_, i) => i !== index)
          .map(relabel),
      );
    },
    addSamples(index, samples) {
      change(
        get().classes.map((c, i) =>
          i === index
            ? {
                ...c,
                samples: [...c.samples, ...samples.map((s) => ({ ...s, label: i }))].slice(0, MAX_SAMPLES_PER_CLASS),
              }
            : c,
        ),
      );
    },
    async clear() {
      if (saveTimer) clearTimeout(saveTimer);
      saveTimer = null;
      set({ classes: [] });
      push([]);
      if (!idb) return;
      try {
        await restored;
        await idbClear(idb);
        set({ persistence: 'saved', persistNote: 'your images and class names were deleted from this browser' });
      } catch (e) {
        set({ persistence: 'error', persistNote: `could not delete the saved images: ${message(e)}` });
      }
    },
  };
});

/** A class's samples carry its index as their label. */
function relabel(c: UserClass, label: number): UserClass {
  return { ...c, samples: c.samples.map((s) => (s.label === label ? s : { ...s, label })) };
}

/** Reads the classes saved by an earlier visit (unless the user already started adding new ones). */
async function restore(store: UseStore): Promise<void> {
  const set = useUserData.setState;
  try {
    const value = await idbGet<unknown>(KEY, store);
    if (value === undefined) return set({ persistence: 'saved', persistNote: '' });
    const classes = fromStored(value);
    if (!classes) return set({ persistence: 'error', persistNote: 'the saved images could not be read; not restored' });
    if (useUserData.getState().classes.length > 0) return;
    const n = classes.reduce((a, c) => a + c.samples.length, 0);
    set({ classes, persistence: 'saved', persistNote: `restored ${n} image(s) in ${classes.length} class(es)` });
    push(classes);
  } catch (e) {
    set({ persistence: 'error', persistNote: `could not read the saved images: ${message(e)}` });
  }
}

if (idb) restored = restore(idb);
