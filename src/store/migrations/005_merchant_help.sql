-- How a merchant's customers get help, shown on the public tracking page of
-- every order of that merchant: any of a web page (https URL), an e-mail
-- address and a phone number; NULL when not given.
ALTER TABLE merchants ADD COLUMN help_url TEXT;
ALTER TABLE merchants ADD COLUMN help_email TEXT;
ALTER TABLE merchants ADD COLUMN help_phone TEXT;
