export * from './access-context';
export * from './disclosure-policy';
export * from './person-disclosure.service';
export * from './disclosure.module';
