import type { ChecklistItem } from '../../../shared/api-install';

// What the GitLab admin checks on the runners that execute Duo Agent Platform flows
// (GitLab docs, "Configure flow execution" → "Configure runners"). Shown with agent-config.yml.

/** The runner checklist for flows that run `image` (customImage: not the GitLab default image). */
export function runnerChecklist(opts: { image: string; customImage: boolean }): ChecklistItem[] {
  const { image, customImage } = opts;
  const items: ChecklistItem[] = [
    {
      id: 'executor',
      text: 'Runners use an executor that supports Docker images: docker, docker-autoscaler or kubernetes. The shell executor is not supported.',
    },
    {
      id: 'tag',
      text: 'Runners have the gitlab--duo tag, so they pick up the flow jobs.',
    },
    {
      id: 'scope',
      text: 'Runners are instance runners or assigned to the top-level group — not to a subgroup or project.',
      detail: 'On GitLab Self-Managed this restriction can be lifted by disabling the duo_runner_restrictions feature flag.',
    },
    {
      id: 'image-pull',
      text: `Runners can pull the flow image ${image} from the internal registry.`,
      detail: 'Log the runner in to the internal registry (or configure its credentials and CA) and test with a pull on the runner host.',
    },
    {
      id: 'gitlab-traffic',
      text: 'Runners allow outbound HTTPS traffic to the GitLab instance.',
      detail: 'The runner reaches the Duo Workflow Service through the GitLab instance, not directly.',
    },
  ];
  if (customImage) {
    items.push(
      {
        id: 'privileged',
        text: 'Privileged mode is not required: with a custom image the environment sandbox is not applied.',
        detail:
          'Flows can reach any host the runner can reach and the whole job filesystem. Network isolation must come from network controls on the runner (firewall rules, network policies) that allow only the GitLab instance and the internal registry.',
      },
      {
        id: 'git-version',
        text: `The image ${image} has Git 2.43.7 or earlier.`,
        detail: 'Later Git versions break flows in custom images (GitLab issue 587996).',
      },
      {
        id: 'git-npm',
        text: `The image ${image} has git and npm.`,
        detail: 'Minimal images (e.g. Alpine) may lack them: install them in the image, or with setup_script in agent-config.yml.',
      },
    );
  } else {
    items.push({
      id: 'privileged',
      text: 'Runners run in privileged mode (privileged = true in the runner configuration).',
      detail: 'Required with the default image: its environment sandbox limits network access to the GitLab instance.',
    });
  }
  return items;
}
