import { Command, Option } from 'nest-commander';
import { CliCommand } from '../cli-command.js';

interface Options {
  code?: string;
  name?: string;
  level?: string;
  departments?: string;
}

@Command({
  name: 'district:new',
  description: '--code C --name N [--level district|county|municipal] --departments "A,B,..."  write an onboarding migration',
})
export class DistrictNewCommand extends CliCommand<Options> {
  protected async execute(_: string[], options: Options): Promise<void> {
    const { districtNew } = await import('./district-new.js');
    const file = await districtNew({
      code: options.code ?? '',
      name: options.name ?? '',
      level: options.level,
      departments: options.departments ?? '',
    });
    console.log(`wrote ${file}; review it, then run: npm run migration:run`);
  }

  @Option({ flags: '--code <code>', description: "the district's code: 2-40 lowercase letters, digits or dashes" })
  code(value: string): string {
    return value;
  }

  @Option({ flags: '--name <name>', description: "the district's name" })
  name(value: string): string {
    return value;
  }

  @Option({ flags: '--level <level>', description: 'district, county or municipal (district)' })
  level(value: string): string {
    return value;
  }

  @Option({ flags: '--departments <list>', description: "the departments' names, comma-separated" })
  departments(value: string): string {
    return value;
  }
}
