/**
 * "Your data": classes the user adds from image files or the webcam, kept as RGBA at the model's input
 * resolution. The training runtime receives them through the training store.
 */
import { create } from 'zustand';
import type { UserSample } from '../runtime/training-api';
import { useTraining } from './training';

export interface UserClass {
  name: string;
  samples: UserSample[];
}

export interface UserDataState {
  classes: UserClass[];
  addClass(name: string): void;
  removeClass(index: number): void;
  addSamples(index: number, samples: Omit<UserSample, 'label'>[]): void;
  clear(): void;
}

const MAX_CLASSES = 20;
const MAX_SAMPLES_PER_CLASS = 500;

function push(classes: UserClass[]): void {
  const samples = classes.flatMap((c, label) => c.samples.map((s) => ({ ...s, label })));
  void useTraining.getState().setUserData(
    samples,
    classes.map((c) => c.name),
  );
}

export const useUserData = create<UserDataState>((set, get) => ({
  classes: [],
  addClass(name) {
    const clean = name.trim().slice(0, 40) || `class ${get().classes.length + 1}`;
    if (get().classes.length >= MAX_CLASSES) return;
    set({ classes: [...get().classes, { name: clean, samples: [] }] });
  },
  removeClass(index) {
    const classes = get().classes.filter((_, i) => i !== index);
    set({ classes });
    push(classes);
  },
  addSamples(index, samples) {
    const classes = get().classes.map((c, i) =>
      i === index
        ? { ...c, samples: [...c.samples, ...samples.map((s) => ({ ...s, label: i }))].slice(0, MAX_SAMPLES_PER_CLASS) }
        : c,
    );
    set({ classes });
    push(classes);
  },
  clear() {
    set({ classes: [] });
    push([]);
  },
}));
