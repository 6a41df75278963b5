// The host's topic labels, loaded once per page for the browser faces.
import type { Topic, TopicList } from '../generated/protocol';
import { api } from './api';

class Topics {
  list = $state<Topic[]>([]);
  #loading: Promise<void> | null = null;

  /** Loads the list if it is not loaded yet; failures leave ids shown as they are. */
  load(): Promise<void> {
    this.#loading ??= api<TopicList>('GET', '/api/v1/topics')
      .then((body) => {
        this.list = body.topics;
      })
      .catch(() => {
        this.#loading = null;
      });
    return this.#loading;
  }
}

export const topics = new Topics();

/** The label for a topic id, or the id itself when it is not in `list`. */
export function topicLabel(list: readonly Topic[], id: string): string {
  return list.find((t) => t.id === id)?.label ?? id;
}
