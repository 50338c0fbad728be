// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/**
 * @title MakerSignature
 * @notice Whether a PMM signed a digest, as an EOA or as an ERC-1271 contract.
 */
library MakerSignature {
    /// @dev ecrecover first, which spares the code-size lookup for the common EOA maker.
    function isValid(address maker, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(digest, signature);
        if (error == ECDSA.RecoverError.NoError && recovered == maker) return true;
        return SignatureChecker.isValidERC1271SignatureNowCalldata(maker, digest, signature);
    }
}
